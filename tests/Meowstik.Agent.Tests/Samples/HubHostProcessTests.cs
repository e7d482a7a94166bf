using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Meowstik.Agent;

namespace Meowstik.Agent.Tests.Samples;

/// <summary>
/// Runs samples/HubHost as a real process: settings from environment variables and the command line, the token command,
/// https/wss with the development certificate it creates, and a misspelt key stopping the start.
/// </summary>
public sealed partial class HubHostProcessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("meowstik-hubhost-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Settings_bind_from_environment_and_command_line_and_an_agent_connects_over_wss_trusting_the_development_certificate()
    {
        // The token command and the server read the same database, named by an environment variable.
        (int issued, string issueOutput) = await RunToCompletionAsync(["token", "issue", "--role", "device", "--device", "pi-host"]);
        Assert.True(issued == 0, issueOutput);
        string[] lines = issueOutput.Split('\n', StringSplitOptions.TrimEntries);
        string secret = lines[Array.FindIndex(lines, l => l.StartsWith("Secret (shown once", StringComparison.Ordinal)) + 1];
        Assert.False(string.IsNullOrEmpty(secret), issueOutput);

        using Process hub = Start(["--urls", "http://127.0.0.1:0;https://127.0.0.1:0", "--Meowstik:Hub:HeartbeatInterval=00:00:07"]);
        var output = new StringBuilder();
        Match wss = await WaitForLineAsync(hub, output, WssPattern());
        Assert.Equal("/mesh", wss.Groups["prefix"].Value);   // Meowstik__Hub__Endpoints__PathPrefix from the environment
        string pem = Path.Combine(_folder, "data", "hubhost-dev-cert.pem");
        Assert.True(File.Exists(pem), output.ToString());
        Assert.True(File.Exists(Path.Combine(_folder, "data", "hub.db")), output.ToString());

        var options = new MeshAgentOptions
        {
            HubUri = new Uri(wss.Groups["uri"].Value.Replace("127.0.0.1", "localhost", StringComparison.Ordinal)),
            DeviceId = "pi-host",
            Token = secret,
        };
        options.Tls.TrustedCertificateAuthorityFiles.Add(pem);
        await using var agent = new MeshAgent(options);
        using var stop = new CancellationTokenSource();
        Task run = agent.RunAsync(stop.Token);
        try
        {
            await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            // --Meowstik:Hub:HeartbeatInterval from the command line reached the hub: it tells the agent in "registered".
            Assert.Equal(TimeSpan.FromSeconds(7), agent.HeartbeatInterval);
        }
        finally
        {
            await stop.CancelAsync();
            await run;
            hub.Kill(entireProcessTree: true);
        }

        // A second start reuses the certificate instead of creating another.
        using Process again = Start(["--urls", "https://127.0.0.1:0"]);
        var second = new StringBuilder();
        await WaitForLineAsync(again, second, WssPattern());
        again.Kill(entireProcessTree: true);
        Assert.Contains("Using the development certificate", second.ToString());
    }

    [Fact]
    public async Task A_misspelt_hub_key_stops_the_start_naming_it()
    {
        (int exit, string output) = await RunToCompletionAsync(["--urls", "http://127.0.0.1:0", "--Meowstik:Hub:RateLimitBurts=5"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("RateLimitBurts", output);
    }

    private Process Start(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", [LocateHubHost(), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder,
        };
        start.Environment["Meowstik__Hub__Sqlite__DatabasePath"] = Path.Combine(_folder, "data", "hub.db");
        start.Environment["Meowstik__Hub__Endpoints__PathPrefix"] = "/mesh";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        return Process.Start(start)!;
    }

    private async Task<(int Exit, string Output)> RunToCompletionAsync(string[] arguments)
    {
        using Process process = Start(arguments);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static async Task<Match> WaitForLineAsync(Process process, StringBuilder output, Regex pattern)
    {
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            output.AppendLine(line);
            Match match = pattern.Match(line);
            if (match.Success)
            {
                // Keep draining so the hub never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync();
                return match;
            }
        }

        throw new Xunit.Sdk.XunitException($"HubHost exited (code {(process.HasExited ? process.ExitCode : -1)}) before printing its wss address:\n{output}");
    }

    private static string LocateHubHost()
    {
        // tests/Meowstik.Agent.Tests/bin/<Configuration>/net10.0/ -> the repository root and the same configuration.
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = here.Parent!.Name;
        DirectoryInfo? root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Meowstik.Sdk.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        string dll = Path.Combine(root.FullName, "samples", "HubHost", "bin", configuration, here.Name, "HubHost.dll");
        Assert.True(File.Exists(dll), $"HubHost was not built at {dll}");
        return dll;
    }

    [GeneratedRegex(@"(?<uri>wss://127\.0\.0\.1:\d+(?<prefix>/[a-z]*)?/ws/mesh)")]
    private static partial Regex WssPattern();
}
