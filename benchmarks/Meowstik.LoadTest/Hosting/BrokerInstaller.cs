using System.Diagnostics;

namespace Meowstik.LoadTest.Hosting;

/// <summary>Finds nats-server and mosquitto, installing the Debian packages (<c>apt-get install -y nats-server mosquitto</c>) when missing.</summary>
internal static class BrokerInstaller
{
    private static readonly string[] ExtraDirectories = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin", "/sbin"];

    /// <summary>The full path of <paramref name="executable"/>, installing the brokers first when it is not found.</summary>
    public static string Locate(string executable)
    {
        if (Find(executable) is { } found) return found;
        Console.WriteLine($"{executable} not found; installing the Debian packages nats-server and mosquitto…");
        Run("apt-get", "update -qq");
        Run("apt-get", "install -y -qq nats-server mosquitto");
        return Find(executable) ?? throw new InvalidOperationException($"{executable} is still missing after apt-get install.");
    }

    private static string? Find(string executable)
    {
        IEnumerable<string> path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        return path.Concat(ExtraDirectories).Select(directory => Path.Combine(directory, executable)).FirstOrDefault(File.Exists);
    }

    private static void Run(string fileName, string arguments)
    {
        var info = new ProcessStartInfo(fileName, arguments) { UseShellExecute = false };
        info.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill();
            throw new TimeoutException($"{fileName} {arguments} took longer than 5 minutes.");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"{fileName} {arguments} failed with exit code {process.ExitCode}.");
    }
}
