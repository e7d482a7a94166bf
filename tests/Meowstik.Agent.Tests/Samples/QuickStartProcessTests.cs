using System.Diagnostics;

namespace Meowstik.Agent.Tests.Samples;

/// <summary>Runs samples/QuickStart as a real process, the way a newcomer would.</summary>
public class QuickStartProcessTests
{
    [Fact]
    public async Task QuickStart_runs_every_step_and_exits_zero()
    {
        string dll = LocateQuickStart();
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        string output = await stdout;
        string errors = await stderr;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{output}\n{errors}");
        Assert.Contains("[1/8] Starting an embedded hub", output);
        Assert.Matches(@"hub listening on ws://127\.0\.0\.1:\d+/ws/mesh", output);
        Assert.Contains("car registered: session sess_", output);
        Assert.Contains("response from comma3x-001: speed 65 mph, ETA 12 min to Ocean Shores Tech", output);
        Assert.Contains("controller received 'trip_started' from comma3x-001", output);
        Assert.Matches(@"comma3x-001\s+vehicle\s+online\s+\[status\], heartbeat: uptime \d+ s, memory [\d.]+ MB", output);
        Assert.Contains("car state AuthFailed", output);
        Assert.Contains("hub reports the car online: False", output);
        Assert.Contains("hub answered with error 'device_offline'", output);
        Assert.Contains("QuickStart finished: every step worked.", output);
        Assert.Equal(string.Empty, errors);
    }

    private static string LocateQuickStart()
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
        string dll = Path.Combine(root.FullName, "samples", "QuickStart", "bin", configuration, here.Name, "QuickStart.dll");
        Assert.True(File.Exists(dll), $"QuickStart was not built at {dll}");
        return dll;
    }
}
