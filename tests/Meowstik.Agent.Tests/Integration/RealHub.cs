using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Tests.Integration;

/// <summary>
/// The real hub (AddMeowstikHub + MapMeowstikHub on Kestrel, 127.0.0.1) with its SQLite file in a temp directory.
/// It can be stopped and started again on the same port with the same database, as a restarted hub would be.
/// </summary>
internal sealed class RealHub : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Action<MeshHubOptions>? _configure;
    private WebApplication? _app;

    private RealHub(string directory, Action<MeshHubOptions>? configure)
    {
        _directory = directory;
        _configure = configure;
    }

    public int Port { get; private set; }

    public Uri MeshUri => new($"ws://127.0.0.1:{Port}/ws/mesh");

    public MeshHub Hub => _app?.Services.GetRequiredService<MeshHub>() ?? throw new InvalidOperationException("The hub is stopped.");

    public static async Task<RealHub> StartAsync(Action<MeshHubOptions>? configure = null)
    {
        string directory = Path.Combine(Path.GetTempPath(), "meowstik-agent-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var hub = new RealHub(directory, configure);
        await hub.StartAgainAsync();
        return hub;
    }

    /// <summary>Starts the hub (again) on the same port; <paramref name="beforeStart"/> runs once the hub exists but before it listens.</summary>
    public async Task StartAgainAsync(Action<MeshHub>? beforeStart = null)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("The hub is already running.");
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        builder.Logging.ClearProviders();
        builder.Services.Configure<SqliteHubOptions>(o => o.DatabasePath = Path.Combine(_directory, "hub.db"));
        builder.Services.AddMeowstikHub(o =>
        {
            o.TimerResolution = TimeSpan.FromMilliseconds(20);
            o.CloseTimeout = TimeSpan.FromSeconds(1);
            o.Audit.FlushInterval = TimeSpan.FromMilliseconds(50);
            _configure?.Invoke(o);
        });
        WebApplication app = builder.Build();
        app.MapMeowstikHub();
        beforeStart?.Invoke(app.Services.GetRequiredService<MeshHub>());
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        _app = app;
    }

    public async Task StopAsync()
    {
        if (_app is null)
        {
            return;
        }

        WebApplication app = _app;
        _app = null;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(deadline.Token);
        await app.DisposeAsync();
    }

    public async Task<string> IssueDeviceTokenAsync(string deviceId, params string[] commandGrants) =>
        (await Hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = deviceId, DeviceId = deviceId, CommandGrants = commandGrants })).Secret;

    public async Task<string> IssueCreatorTokenAsync(string subject = "creator") =>
        (await Hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Creator, Subject = subject })).Secret;

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still closing; the temp directory is cleaned up by the OS eventually.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }
    }
}
