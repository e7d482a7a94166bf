using System.Security.Cryptography.X509Certificates;
using Meowstik.Hub.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Agent.Testing;

/// <summary>How <see cref="MeshTestHub.StartAsync(MeshTestHubOptions)"/> builds its hub. Every setting is optional.</summary>
public sealed class MeshTestHubOptions
{
    /// <summary>Adjusts the hub's options after the test defaults (20 ms timer resolution, 1 s close timeout, 50 ms audit flush).</summary>
    public Action<MeshHubOptions>? ConfigureHub { get; set; }

    /// <summary>
    /// Adds or replaces services before <c>AddMeowstikHub</c> (an <c>IStateStore</c>, an <c>IMeshBackplane</c>, a logging
    /// provider, <c>Configure&lt;MeshHubEndpointOptions&gt;</c>…). Runs on every (re)start.
    /// </summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Maps the endpoints another way than <c>app.MapMeowstikHub()</c> (a path prefix, a group, the catch-phrase endpoint).</summary>
    public Action<WebApplication>? MapEndpoints { get; set; }

    /// <summary>The hub's clock, e.g. a <c>FakeTimeProvider</c>; the system clock when null.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// Where the SQLite file lives. Null: a fresh temporary directory, deleted on dispose. Set it to share one database
    /// between two hubs started one after the other; the caller then deletes the directory.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// Keep tokens, catch phrases and the audit trail in memory instead of SQLite (no file at all). A
    /// <see cref="MeshTestHub.StopAsync"/> / <see cref="MeshTestHub.StartAgainAsync"/> cycle then forgets the tokens.
    /// </summary>
    public bool InMemoryStores { get; set; }

    /// <summary>
    /// Serve HTTPS (and so <c>wss://</c>) with this certificate, on <c>localhost</c>; plain HTTP on 127.0.0.1 when null.
    /// The certificate must be valid for <c>localhost</c> and the agent must trust its issuer (<c>MeshAgentOptions.Tls</c>).
    /// </summary>
    public X509Certificate2? ServerCertificate { get; set; }
}
