using System.Globalization;
using Meowstik.Hub.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meowstik.LoadTest.Hosting;

/// <summary>
/// The child process that serves the hub: <c>--serve-hub --port N --db FILE [--issue PLAN --tokens OUT]</c>. Built exactly as
/// a user builds a hub (CreateSlimBuilder, Kestrel on 127.0.0.1, AddMeowstikHub + MapMeowstikHub, logging at Warning,
/// audit on) with the settings of a single-address test rig: the per-connection rate limit is raised out of the way,
/// MaxConnections is raised above the idle scenario's 10,000, and so are the per-address budgets (every client is 127.0.0.1). It issues the device tokens the parent's clients need (PLAN: one line per device,
/// <c>device-id[ grant,grant…]</c>; OUT: <c>device-id secret</c>), then prints <see cref="ReadyMarker"/>.
/// </summary>
internal static class HubServerMode
{
    public const string Flag = "--serve-hub";

    public const string ReadyMarker = "LOADTEST-HUB-READY";

    /// <summary>Path of the counters endpoint (the hub's own metrics, read through a MeterListener).</summary>
    public const string CountersPath = "/loadtest/counters";

    public static async Task<int> RunAsync(string[] args)
    {
        int port = int.Parse(ValueOf(args, "--port") ?? throw new ArgumentException("--port is required."), CultureInfo.InvariantCulture);
        string database = ValueOf(args, "--db") ?? throw new ArgumentException("--db is required.");
        string? plan = ValueOf(args, "--issue");
        string? tokens = ValueOf(args, "--tokens");

        using var counters = new HubCounters();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<Meowstik.Hub.Sqlite.SqliteHubOptions>(o => o.DatabasePath = database);
        builder.Services.AddMeowstikHub(o =>
        {
            o.RateLimitPerSecond = 1_000_000_000;
            o.RateLimitBurst = 1_000_000_000;
            o.MaxConnections = 20_000;
            // Every client of this rig comes from 127.0.0.1: the per-address budgets (meant for the internet) and the
            // pre-authentication pool are raised as any single-address test rig would; per-token budgets stay at defaults.
            o.MaxConnectionsPerAddress = 20_000;
            o.MaxUnauthenticatedConnections = 20_000;
            o.MaxUnauthenticatedConnectionsPerAddress = 20_000;
        });

        WebApplication app = builder.Build();
        app.MapMeowstikHub();
        app.MapGet(CountersPath, () => Results.Text(counters.Describe()));
        await app.StartAsync().ConfigureAwait(false);

        if (plan is not null && tokens is not null)
        {
            await IssueTokensAsync(app.Services.GetRequiredService<MeshHub>(), plan, tokens).ConfigureAwait(false);
        }
        Console.WriteLine(ReadyMarker);
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        return 0;
    }

    private static async Task IssueTokensAsync(MeshHub hub, string planPath, string tokensPath)
    {
        string[] lines = await File.ReadAllLinesAsync(planPath).ConfigureAwait(false);
        var issued = new string[lines.Length];
        await Parallel.ForAsync(0, lines.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            string[] parts = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string device = parts[0];
            string[] grants = parts.Length > 1 ? parts[1].Split(',') : [];
            IssuedToken token = await hub.IssueTokenAsync(
                new TokenIssueRequest { Role = MeshRole.Device, Subject = device, DeviceId = device, CommandGrants = grants }, ct).ConfigureAwait(false);
            issued[i] = device + " " + token.Secret;
        }).ConfigureAwait(false);
        await File.WriteAllLinesAsync(tokensPath, issued).ConfigureAwait(false);
    }

    private static string? ValueOf(string[] args, string name)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
