using System.Diagnostics.Metrics;
using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Meowstik mesh hub and its embedded stores.</summary>
public static class MeowstikHubServiceCollectionExtensions
{
    private const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// Adds <see cref="MeshHub"/> as a singleton with its embedded defaults: one SQLite file (<see cref="SqliteHubOptions.DatabasePath"/>)
    /// for hashed tokens, catch phrases and the audit trail (<see cref="SqliteAuditSink"/>), in-memory state
    /// (<see cref="InMemoryStateStore"/>) and a single-node backplane (<see cref="NullBackplane"/>). Register your own
    /// <see cref="IAuditSink"/>, <see cref="ITokenStore"/>, <see cref="IStateStore"/>, <see cref="IMeshBackplane"/> or
    /// <see cref="TimeProvider"/> before calling this to replace a default. Map the endpoints with <c>app.MapMeowstikHub()</c>.
    /// </summary>
    public static IServiceCollection AddMeowstikHub(this IServiceCollection services, Action<MeshHubOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<MeshHubOptions> options = services.AddOptions<MeshHubOptions>();
        if (configure is not null) options.Configure(configure);
        options.Validate(static o =>
        {
            o.Validate();
            return true;
        });

        // ASP.NET Core's hosting diagnostics write every request line, query string included, at Information: for a mesh
        // endpoint that is "?token=…". Tokens are never logged, so those lines are kept to warnings and above.
        services.AddLogging(logging => logging.AddFilter(HostingDiagnosticsCategory, LogLevel.Warning));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(static sp =>
            // Opening is quick (create/migrate a local file); the factory cannot be async.
            SqliteMeshStore.OpenAsync(sp.GetRequiredService<IOptions<SqliteHubOptions>>().Value.DatabasePath).GetAwaiter().GetResult());
        services.TryAddSingleton<ITokenStore>(static sp => new SqliteTokenStore(sp.GetRequiredService<SqliteMeshStore>()));
        services.TryAddSingleton<ICatchPhraseStore>(static sp => new SqliteCatchPhraseStore(sp.GetRequiredService<SqliteMeshStore>()));
        services.TryAddSingleton<IAuditSink>(static sp => new SqliteAuditSink(
            sp.GetRequiredService<SqliteMeshStore>(),
            sp.GetRequiredService<IOptions<MeshHubOptions>>().Value.Audit,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<SqliteAuditSink>>(),
            sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(static sp => new AuthManager(
            sp.GetRequiredService<ITokenStore>(),
            sp.GetRequiredService<IOptions<MeshHubOptions>>().Value.Auth,
            sp.GetService<IAuditSink>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<AuthManager>>(),
            sp.GetService<IMeterFactory>()));
        services.TryAddSingleton(static sp => new CatchPhraseRegistry(
            sp.GetRequiredService<ICatchPhraseStore>(),
            sp.GetRequiredService<AuthManager>(),
            sp.GetService<ILogger<CatchPhraseRegistry>>()));
        services.TryAddSingleton<IStateStore>(static sp => new InMemoryStateStore(sp.GetRequiredService<IOptions<MeshHubOptions>>().Value.MaxStateBytesPerDevice));
        services.TryAddSingleton<IMeshBackplane>(NullBackplane.Instance);
        services.TryAddSingleton(static sp => new MeshHub(
            sp.GetRequiredService<AuthManager>(),
            sp.GetRequiredService<IOptions<MeshHubOptions>>().Value,
            sp.GetService<IAuditSink>(),
            sp.GetRequiredService<IStateStore>(),
            sp.GetRequiredService<IMeshBackplane>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<CatchPhraseRegistry>()));
        services.AddHostedService<MeshHubLifetime>();
        return services;
    }
}
