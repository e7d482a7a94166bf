using System.Diagnostics;

namespace Meowstik.Agent.Audio;

/// <summary>Finds and starts the external tools (espeak-ng, arecord, aplay): argument lists only, never a shell.</summary>
internal static class ExternalTool
{
    private static readonly string[] ExtraPath = ["/usr/bin", "/usr/local/bin", "/bin"];

    /// <summary>The full path of <paramref name="command"/> (a path, or a name looked up on PATH), or null when absent.</summary>
    public static string? Find(string command)
    {
        if (string.IsNullOrWhiteSpace(command))
        {
            return null;
        }

        if (command.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(command) ? command : null;
        }

        IEnumerable<string> path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(ExtraPath);
        foreach (string dir in path)
        {
            string candidate = Path.Combine(dir, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    public static Process Start(string executable, IEnumerable<string> arguments, bool redirectInput, bool redirectOutput)
    {
        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = redirectOutput,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new AudioDeviceException($"{executable} did not start.");
    }

    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended meanwhile.
        }
    }

    public static string Inv(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
