using Meowstik.LoadTest.Hosting;

namespace Meowstik.LoadTest.Systems;

/// <summary>
/// The Meowstik hub in its own process (this executable with <c>--serve-hub</c>). Clients are raw <see cref="System.Net.WebSockets.ClientWebSocket"/>s
/// with device tokens the child issued, registering before they send.
/// </summary>
internal sealed class HubSystem : IMessagingSystem
{
    private readonly string _workDirectory;
    private readonly int _port;
    private readonly Dictionary<string, string> _tokens;
    private readonly HttpClient _http = new();

    private HubSystem(ServerProcess server, string workDirectory, int port, Dictionary<string, string> tokens)
    {
        Server = server;
        _workDirectory = workDirectory;
        _port = port;
        _tokens = tokens;
        _http.BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public string Name => "hub";

    public ServerProcess Server { get; private set; }

    public ConnectionHealth Health { get; } = new();

    /// <summary>The mesh endpoint, without a token.</summary>
    public Uri MeshUri => new($"ws://127.0.0.1:{_port}/ws/mesh");

    /// <summary>Starts the hub on a fresh database and has it issue a device token for every device of <paramref name="devices"/>.</summary>
    public static async Task<HubSystem> StartAsync(IReadOnlyList<TokenRequest> devices, string workDirectory)
    {
        int port = FreePort.Next();
        string plan = Path.Combine(workDirectory, "hub-token-plan.txt");
        string tokensFile = Path.Combine(workDirectory, "hub-tokens.txt");
        await File.WriteAllLinesAsync(plan, devices.Select(d => d.Grants.Count == 0 ? d.DeviceId : d.DeviceId + " " + string.Join(',', d.Grants))).ConfigureAwait(false);
        ServerProcess server = await StartProcessAsync(workDirectory, port, ["--issue", plan, "--tokens", tokensFile]).ConfigureAwait(false);
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in await File.ReadAllLinesAsync(tokensFile).ConfigureAwait(false))
        {
            int space = line.IndexOf(' ', StringComparison.Ordinal);
            tokens[line[..space]] = line[(space + 1)..];
        }
        File.Delete(tokensFile);
        return new HubSystem(server, workDirectory, port, tokens);
    }

    public string TokenOf(string deviceId) =>
        _tokens.TryGetValue(deviceId, out string? token) ? token : throw new InvalidOperationException($"No token was issued for {deviceId}.");

    public async Task<IMessagingClient> ConnectAsync(string clientId, bool receivesBroadcast, MessageHandler? onMessage, CancellationToken cancellationToken) =>
        // Broadcasts reach a hub device through its grants (see the token plan), not through a subscription.
        await HubClient.ConnectAsync(MeshUri, clientId, TokenOf(clientId), onMessage, Health, cancellationToken).ConfigureAwait(false);

    public async Task RestartServerAsync(CancellationToken cancellationToken)
    {
        await Server.KillAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
        Server = await StartProcessAsync(_workDirectory, _port, []).ConfigureAwait(false);
    }

    public async Task<string> ServerCountersAsync()
    {
        try
        {
            return await _http.GetStringAsync(HubServerMode.CountersPath).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            return "counters unavailable: " + ex.Message;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Server.DisposeAsync().ConfigureAwait(false);
    }

    private static Task<ServerProcess> StartProcessAsync(string workDirectory, int port, string[] extra)
    {
        // Under `dotnet run` this is the apphost; under `dotnet Meowstik.LoadTest.dll` it is dotnet itself.
        string host = Environment.ProcessPath ?? "dotnet";
        var arguments = new List<string>();
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") arguments.Add(typeof(HubSystem).Assembly.Location);
        arguments.AddRange([HubServerMode.Flag, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", Path.Combine(workDirectory, "hub.db")]);
        arguments.AddRange(extra);
        // A hub built from the Web SDK runs the server GC; this executable is a console app, so ask for it explicitly.
        var environment = new Dictionary<string, string> { ["DOTNET_gcServer"] = "1" };
        return ServerProcess.StartAsync(host, arguments, Path.Combine(workDirectory, "hub.log"), port, HubServerMode.ReadyMarker, environment, TimeSpan.FromMinutes(3));
    }
}
