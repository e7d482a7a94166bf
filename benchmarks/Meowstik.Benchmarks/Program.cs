using BenchmarkDotNet.Running;

namespace Meowstik.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/Meowstik.Benchmarks -- --filter '*' --job short</c>
/// (or <c>--job dry</c> in CI to prove the benchmarks still run); <c>-- audit-stopwatch [count] [rounds]</c> is a quick
/// wall-clock run of the audit writer.
/// </summary>
public static class Program
{
    public static async Task Main(string[] args)
    {
        if (args is ["audit-stopwatch", ..])
        {
            await Audit.AuditStopwatch.RunAsync(
                args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000,
                args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
