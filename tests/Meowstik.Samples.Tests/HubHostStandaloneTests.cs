using System.Text.RegularExpressions;

namespace Meowstik.Samples.Tests;

/// <summary>
/// The three samples as a device maker runs them: each its own process, against samples/HubHost (its own process, its
/// SQLite file, tokens from its <c>token</c> command), configured only by the command line and the environment.
/// </summary>
public sealed partial class HubHostStandaloneTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly string _folder = Directory.CreateTempSubdirectory("meowstik-standalone-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Dictionary<string, string> HubEnvironment => new() { ["Meowstik__Hub__Sqlite__DatabasePath"] = Path.Combine(_folder, "hub.db") };

    [Fact]
    public async Task Comma3x_HomeServer_and_Alexa_each_register_with_HubHost()
    {
        var tokens = new Dictionary<string, string>();
        foreach (string device in new[] { "comma3x-001", "homeserver-001", "alexa-001" })
        {
            await using SampleProcess issue = SampleProcess.Start("HubHost", ["token", "issue", "--role", "device", "--device", device], HubEnvironment);
            Assert.Equal(0, await issue.WaitForExitAsync(Wait));
            string[] lines = issue.Output.Split('\n', StringSplitOptions.TrimEntries);
            tokens[device] = lines[Array.FindIndex(lines, l => l.StartsWith("Secret (shown once", StringComparison.Ordinal)) + 1];
        }

        await using SampleProcess hub = SampleProcess.Start("HubHost", ["--urls", "http://127.0.0.1:0"], HubEnvironment);
        await hub.WaitForOutputAsync("/ws/mesh", Wait);
        Match mesh = MeshAddress().Match(hub.Output);
        Assert.True(mesh.Success, hub.Output);
        string address = "http://" + mesh.Groups["host"].Value;   // the samples take the hub's address and add their path

        await using SampleProcess car = SampleProcess.Start("Comma3x", ["--hub", address, "--token", tokens["comma3x-001"]]);
        await using SampleProcess home = SampleProcess.Start("HomeServer", ["--hub", address, "--token", tokens["homeserver-001"]]);
        await using SampleProcess alexa = SampleProcess.Start("Alexa", ["--hub", address, "--token", tokens["alexa-001"]]);
        await car.WaitForOutputAsync($"Comma3x online as comma3x-001 at {"ws://" + mesh.Groups["host"].Value}/ws/vehicle/comma3x-001", Wait);
        await home.WaitForOutputAsync($"HomeServer online as homeserver-001 at {"ws://" + mesh.Groups["host"].Value}/ws/homeserver/homeserver-001", Wait);
        await alexa.WaitForOutputAsync("Alexa online as alexa-001", Wait);

        // The hub's own page counts them.
        using var http = new HttpClient();
        Assert.StartsWith("Meowstik hub: 3 device(s) online", await http.GetStringAsync(address + "/"), StringComparison.Ordinal);

        // SIGTERM: each sample closes its connection and exits 0.
        Assert.Equal(0, await car.StopAsync(Wait));
        Assert.Equal(0, await home.StopAsync(Wait));
        Assert.Equal(0, await alexa.StopAsync(Wait));
    }

    [GeneratedRegex(@"ws://(?<host>127\.0\.0\.1:\d+)/ws/mesh")]
    private static partial Regex MeshAddress();
}
