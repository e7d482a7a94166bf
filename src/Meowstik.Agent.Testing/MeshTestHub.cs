using System.Net;
using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Testing;

/// <summary>
/// A real hub for end-to-end tests: AddMeowstikHub + MapMeowstikHub on Kestrel at 127.0.0.1 (a free port), with its
/// SQLite file in a temporary directory. It can be stopped and started again on the same port with the same database,
/// as a restarted hub would be. Test timers are tightened (20 ms timer resolution, 1 s close timeout, 50 ms audit flush).
/// <see cref="MeshTestHubOptions"/> adds services, another endpoint mapping, a fake clock, in-memory stores or TLS.
/// One fixture for every test project (the hub's, the agent's, plugins', benchmarks).
/// </summary>
/// <example>
/// <code>
/// await using MeshTestHub hub = await MeshTestHub.StartAsync();
/// string token = await hub.IssueDeviceTokenAsync("car-001");
/// await using var agent = new MeshAgent(new MeshAgentOptions { HubUri = hub.MeshUri, DeviceId = "car-001", Token = token }, [new MyCapability()]);
/// </code>
/// </example>
public sealed class MeshTestHub : IAsyncDisposable
{
    private readonly string _directory;
    private readonly bool _ownsDirectory;
    private readonly List<(MeshAgent Agent, Task Run, CancellationTokenSource Stop)> _controllers = [];
    private readonly MeshTestHubOptions _options;
    private WebApplication? _app;
    private IServiceProvider? _services;

    private MeshTestHub(string directory, bool ownsDirectory, MeshTestHubOptions options)
    {
        _directory = directory;
        _ownsDirectory = ownsDirectory;
        _options = options;
    }

    /// <summary>True when the hub serves HTTPS/<c>wss://</c> (<see cref="MeshTestHubOptions.ServerCertificate"/>).</summary>
    public bool IsTls => _options.ServerCertificate is not null;

    /// <summary><c>http://127.0.0.1:port/</c>, or <c>https://localhost:port/</c> with TLS.</summary>
    public Uri BaseUri => IsTls ? new($"https://localhost:{Port}/") : new($"http://127.0.0.1:{Port}/");

    /// <summary>The directory holding the hub's SQLite file.</summary>
    public string DataDirectory => _directory;

    /// <summary>The hub's SQLite file (absent with <see cref="MeshTestHubOptions.InMemoryStores"/>).</summary>
    public string DatabasePath => Path.Combine(_directory, "hub.db");

    /// <summary>The running host's services (the last ones, after <see cref="StopAsync"/>).</summary>
    public IServiceProvider Services => _services ?? throw new InvalidOperationException("The hub has not started.");

    /// <summary>The WebSocket URI of a mesh path (default <c>/ws/mesh</c>), with <c>?token=</c> when given.</summary>
    /// <param name="path">The path, e.g. <c>/ws/vehicle/car-001</c>.</param>
    /// <param name="token">A token secret to put in the query string.</param>
    /// <returns>A <c>ws://</c> (or <c>wss://</c>) URI.</returns>
    public Uri WebSocketUri(string path = "/ws/mesh", string? token = null)
    {
        var builder = new UriBuilder(BaseUri) { Scheme = IsTls ? "wss" : "ws", Path = path };
        if (token is not null) builder.Query = "token=" + Uri.EscapeDataString(token);
        return builder.Uri;
    }

    /// <summary>The port Kestrel listens on (kept across <see cref="StopAsync"/> and <see cref="StartAgainAsync"/>).</summary>
    public int Port { get; private set; }

    /// <summary>The hub's <c>/ws/mesh</c> endpoint (<c>ws://127.0.0.1:port/ws/mesh</c>, or <c>wss://localhost:port/ws/mesh</c> with TLS).</summary>
    public Uri MeshUri => WebSocketUri();

    /// <summary>The running hub (its host API: tokens, queries, subscriptions).</summary>
    public MeshHub Hub => _app?.Services.GetRequiredService<MeshHub>() ?? throw new InvalidOperationException("The hub is stopped.");

    /// <summary>Starts a hub on a free port.</summary>
    /// <param name="configure">Adjusts the hub's options after the test defaults.</param>
    /// <returns>The running hub; dispose it to stop it and delete its files.</returns>
    public static Task<MeshTestHub> StartAsync(Action<MeshHubOptions>? configure = null) =>
        StartAsync(new MeshTestHubOptions { ConfigureHub = configure });

    /// <summary>Starts a hub on a free port, built as <paramref name="options"/> says.</summary>
    /// <param name="options">Services, endpoints, clock, stores, TLS.</param>
    /// <returns>The running hub; dispose it to stop it (and delete its files unless <see cref="MeshTestHubOptions.DataDirectory"/> was given).</returns>
    public static async Task<MeshTestHub> StartAsync(MeshTestHubOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool owns = options.DataDirectory is null;
        string directory = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), "meowstik-test-hub", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var hub = new MeshTestHub(directory, owns, options);
        try
        {
            await hub.StartAgainAsync();
        }
        catch
        {
            await hub.DisposeAsync();
            throw;
        }
        return hub;
    }

    /// <summary>Starts the hub (again) on the same port; <paramref name="beforeStart"/> runs once the hub exists but before it listens.</summary>
    /// <param name="beforeStart">Runs before the hub listens (for example to subscribe before any device connects).</param>
    public async Task StartAgainAsync(Action<MeshHub>? beforeStart = null)
    {
        if (_app is not null)
        {
            throw new InvalidOperationException("The hub is already running.");
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        if (_options.ServerCertificate is { } certificate)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, Port, listen => listen.UseHttps(certificate)));
        }
        else
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        }

        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (_options.TimeProvider is { } time)
        {
            builder.Services.AddSingleton(time);
        }

        if (_options.InMemoryStores)
        {
            builder.Services.AddSingleton<ITokenStore, InMemoryTokenStore>();
            builder.Services.AddSingleton<ICatchPhraseStore, InMemoryCatchPhraseStore>();
            builder.Services.AddSingleton<IAuditSink>(_ => new InMemoryAuditSink());
        }

        _options.ConfigureServices?.Invoke(builder.Services);
        builder.Services.Configure<SqliteHubOptions>(o => o.DatabasePath = DatabasePath);
        builder.Services.AddMeowstikHub(o =>
        {
            o.TimerResolution = TimeSpan.FromMilliseconds(20);
            o.CloseTimeout = TimeSpan.FromSeconds(1);
            o.Audit.FlushInterval = TimeSpan.FromMilliseconds(50);
            _options.ConfigureHub?.Invoke(o);
        });
        WebApplication app = builder.Build();
        if (_options.MapEndpoints is { } map)
        {
            map(app);
        }
        else
        {
            app.MapMeowstikHub();
        }

        _services = app.Services;
        beforeStart?.Invoke(app.Services.GetRequiredService<MeshHub>());
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        _app = app;
    }

    /// <summary>Stops the hub, keeping its port and database for <see cref="StartAgainAsync"/>.</summary>
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

    /// <summary>Issues a device token for <paramref name="deviceId"/> and returns its secret.</summary>
    /// <param name="deviceId">The device id the token is bound to.</param>
    /// <param name="commandGrants">Devices this device may command, if any.</param>
    /// <returns>The token secret to put in <see cref="MeshAgentOptions.Token"/>.</returns>
    public async Task<string> IssueDeviceTokenAsync(string deviceId, params string[] commandGrants) =>
        (await Hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = deviceId, DeviceId = deviceId, CommandGrants = commandGrants })).Secret;

    /// <summary>Issues a creator (controller) token and returns its secret.</summary>
    /// <param name="subject">Who the token is for.</param>
    /// <returns>The token secret.</returns>
    public async Task<string> IssueCreatorTokenAsync(string subject = "creator") =>
        (await Hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Creator, Subject = subject })).Secret;

    /// <summary>
    /// Starts a controller on this hub, the other end of most end-to-end tests: a <see cref="MeshAgent"/> with a
    /// creator token, running and online when the task completes. The hub stops and disposes it when it is disposed.
    /// </summary>
    /// <param name="deviceId">The controller's device id.</param>
    /// <param name="subject">Who its creator token is for.</param>
    /// <returns>The online controller.</returns>
    /// <exception cref="TimeoutException">It did not come online within 15 seconds.</exception>
    public async Task<MeshAgent> StartControllerAsync(string deviceId = "phone-001", string subject = "controller")
    {
        var agent = new MeshAgent(new MeshAgentOptions
        {
            HubUri = MeshUri,
            DeviceId = deviceId,
            DeviceType = "controller",
            Token = await IssueCreatorTokenAsync(subject),
        });
        var stop = new CancellationTokenSource();
        lock (_controllers)
        {
            _controllers.Add((agent, agent.RunAsync(stop.Token), stop));
        }

        await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        return agent;
    }

    /// <summary>Stops the controllers it started, then the hub, and deletes its files.</summary>
    /// <returns>A task that completes when the hub stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        (MeshAgent Agent, Task Run, CancellationTokenSource Stop)[] controllers;
        lock (_controllers)
        {
            controllers = [.. _controllers];
            _controllers.Clear();
        }

        foreach ((MeshAgent agent, Task run, CancellationTokenSource stop) in controllers)
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
            await agent.DisposeAsync();
            stop.Dispose();
        }

        await StopAsync();
        if (!_ownsDirectory)
        {
            return;
        }

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
