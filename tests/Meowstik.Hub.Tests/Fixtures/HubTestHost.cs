using Meowstik.Hub.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Tests.Fixtures;

/// <summary>
/// A real hub for tests: Kestrel on 127.0.0.1 with a random port, <c>AddMeowstikHub</c> + <c>MapMeowstikHub</c>, and a fresh
/// SQLite file in a temp directory. Issue tokens and connect registered <see cref="TestMeshClient"/>s in one call.
/// Reuse it from other test projects by copying the pattern (or linking this file).
/// </summary>
public sealed class HubTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsDirectory;

    private HubTestHost(WebApplication app, Uri baseUri, string directory, bool ownsDirectory)
    {
        _app = app;
        BaseUri = baseUri;
        Directory = directory;
        _ownsDirectory = ownsDirectory;
    }

    /// <summary>The hub inside the host.</summary>
    public MeshHub Hub => _app.Services.GetRequiredService<MeshHub>();

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary><c>http://127.0.0.1:port/</c>.</summary>
    public Uri BaseUri { get; }

    /// <summary>The temp directory holding the database.</summary>
    public string Directory { get; }

    /// <summary>The database file.</summary>
    public string DatabasePath => Path.Combine(Directory, "hub.db");

    /// <summary>
    /// Starts a hub. Pass <paramref name="directory"/> to reuse a database across restarts (the caller deletes it), and
    /// <paramref name="map"/> to map the endpoints another way than <c>app.MapMeowstikHub()</c>.
    /// </summary>
    public static async Task<HubTestHost> StartAsync(
        Action<MeshHubOptions>? configure = null,
        TimeProvider? time = null,
        string? directory = null,
        Action<IServiceCollection>? services = null,
        Action<WebApplication>? map = null)
    {
        bool owns = directory is null;
        directory ??= Path.Combine(Path.GetTempPath(), "meowstik-hub-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (time is not null) builder.Services.AddSingleton(time);
        services?.Invoke(builder.Services);
        string database = Path.Combine(directory, "hub.db");
        builder.Services.Configure<SqliteHubOptions>(o => o.DatabasePath = database);
        builder.Services.AddMeowstikHub(o =>
        {
            o.TimerResolution = TimeSpan.FromMilliseconds(20);
            o.CloseTimeout = TimeSpan.FromSeconds(1);
            o.Audit.FlushInterval = TimeSpan.FromMilliseconds(50);
            configure?.Invoke(o);
        });
        WebApplication app = builder.Build();
        if (map is null) app.MapMeowstikHub();
        else map(app);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HubTestHost(app, new Uri(address), directory, owns);
    }

    /// <summary>The WebSocket URI of a mesh path (default <c>/ws/mesh</c>), with <c>?token=</c> when given.</summary>
    public Uri WebSocketUri(string path = "/ws/mesh", string? token = null)
    {
        var builder = new UriBuilder(BaseUri) { Scheme = "ws", Path = path };
        if (token is not null) builder.Query = "token=" + Uri.EscapeDataString(token);
        return builder.Uri;
    }

    /// <summary>Issues a device token bound to <paramref name="deviceId"/> (with command grants).</summary>
    public Task<IssuedToken> IssueDeviceTokenAsync(string deviceId, params string[] commandGrants) =>
        Hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = deviceId, DeviceId = deviceId, CommandGrants = commandGrants });

    /// <summary>Issues a creator, family or guest token.</summary>
    public Task<IssuedToken> IssueTokenAsync(MeshRole role, string subject, params string[] permittedDevices) =>
        Hub.IssueTokenAsync(new TokenIssueRequest { Role = role, Subject = subject, PermittedDevices = role == MeshRole.Family ? permittedDevices : null });

    /// <summary>Opens a WebSocket (not yet registered).</summary>
    public Task<TestMeshClient> ConnectAsync(string? token = null, string path = "/ws/mesh", bool bearer = false) =>
        TestMeshClient.ConnectAsync(WebSocketUri(path, bearer ? null : token), bearer ? token : null);

    /// <summary>Issues a device token, connects and registers; the registration reply has been received.</summary>
    public async Task<TestMeshClient> ConnectDeviceAsync(string deviceId, string[]? commandGrants = null, string[]? capabilities = null, string path = "/ws/mesh")
    {
        IssuedToken token = await IssueDeviceTokenAsync(deviceId, commandGrants ?? []);
        TestMeshClient client = await ConnectAsync(token.Secret, path);
        await client.RegisterAsync(deviceId, capabilities ?? ["test"]);
        return client;
    }

    /// <summary>Connects and registers a creator/family/guest client under <paramref name="clientId"/>.</summary>
    public async Task<TestMeshClient> ConnectUserAsync(MeshRole role, string clientId, params string[] permittedDevices)
    {
        IssuedToken token = await IssueTokenAsync(role, clientId, permittedDevices);
        TestMeshClient client = await ConnectAsync(token.Secret);
        await client.RegisterAsync(clientId, []);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsDirectory) TryDelete(Directory);
    }

    /// <summary>Deletes a test directory, ignoring files still held open.</summary>
    public static void TryDelete(string directory)
    {
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
