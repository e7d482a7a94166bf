using BenchmarkDotNet.Running;

namespace Meowstik.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project benchmarks/Meowstik.Benchmarks -- --filter '*' --job short</c>
/// (or <c>--job dry</c> in CI to prove the benchmarks still run).
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
