using System.Diagnostics.Metrics;
using Meowstik.Hub.AspNetCore;
using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Meowstik mesh hub, its settings and its embedded stores.</summary>
public static class MeowstikHubServiceCollectionExtensions
{
    private const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// Adds <see cref="MeshHub"/> as a singleton with its embedded defaults: one SQLite file (<see cref="SqliteHubOptions.DatabasePath"/>,
    /// default <c>meowstik-hub.db</c>) for hashed tokens, catch phrases and the audit trail (<see cref="SqliteAuditSink"/>), in-memory state
    /// (<see cref="InMemoryStateStore"/>) and a single-node backplane (<see cref="NullBackplane"/>). Register your own
    /// <see cref="IAuditSink"/>, <see cref="ITokenStore"/>, <see cref="ICatchPhraseStore"/>, <see cref="IStateStore"/>,
    /// <see cref="IMeshBackplane"/> or <see cref="TimeProvider"/> before calling this to replace a default (for example
    /// <see cref="InMemoryTokenStore"/>, <see cref="InMemoryCatchPhraseStore"/> and <see cref="InMemoryAuditSink"/>: no file at
    /// all). Settings are validated when the host starts. Map the endpoints with <c>app.MapMeowstikHub()</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets <see cref="MeshHubOptions"/> in code; applied after any configuration section. Set
    /// <see cref="SqliteHubOptions"/> and <see cref="MeshHubEndpointOptions"/> with <c>services.Configure&lt;T&gt;(…)</c>.</param>
    public static IServiceCollection AddMeowstikHub(this IServiceCollection services, Action<MeshHubOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddHubServices(services);
        if (configure is not null) services.Configure(configure);
        return services;
    }

    /// <summary>
    /// Adds the hub as <see cref="AddMeowstikHub(IServiceCollection, Action{MeshHubOptions})"/> does, with every setting read from
    /// <paramref name="configuration"/>, normally <c>configuration.GetSection(MeshHubOptions.SectionName)</c> (<c>Meowstik:Hub</c>):
    /// the <see cref="MeshHubOptions"/> keys (<c>RateLimitBurst</c>, <c>HeartbeatInterval</c> as <c>00:00:30</c>…) with their
    /// <c>Auth</c> and <c>Audit</c> sub-sections, <c>Sqlite</c> (<see cref="SqliteHubOptions"/>) and <c>Endpoints</c>
    /// (<see cref="MeshHubEndpointOptions"/>). Reads are source-generated (no reflection; trimming- and NativeAOT-safe). A key
    /// that is not a setting (a misspelling) and a value out of range both stop the host at start-up with a message naming the key.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The hub's configuration section.</param>
    /// <param name="configure">Further settings in code, applied after the section's (code wins).</param>
    /// <example>
    /// <code>
    /// builder.Services.AddMeowstikHub(builder.Configuration.GetSection(MeshHubOptions.SectionName));
    /// </code>
    /// </example>
    public static IServiceCollection AddMeowstikHub(this IServiceCollection services, IConfiguration configuration, Action<MeshHubOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddHubServices(services);
        string path = configuration is IConfigurationSection section ? section.Path : "";
        IConfiguration hubKeys = new ConfigurationWithout(configuration, SqliteHubOptions.SectionName, MeshHubEndpointOptions.SectionName);
        IConfiguration sqliteKeys = configuration.GetSection(SqliteHubOptions.SectionName);
        IConfiguration endpointKeys = configuration.GetSection(MeshHubEndpointOptions.SectionName);
        // The generated binder (EnableConfigurationBindingGenerator) intercepts these Bind calls: one per options type.
        services.Configure<MeshHubOptions>(o => Bind(path, () => hubKeys.Bind(o, static b => b.ErrorOnUnknownConfiguration = true)));
        services.Configure<SqliteHubOptions>(o => Bind(path, () => sqliteKeys.Bind(o, static b => b.ErrorOnUnknownConfiguration = true)));
        services.Configure<MeshHubEndpointOptions>(o => Bind(path, () => endpointKeys.Bind(o, static b => b.ErrorOnUnknownConfiguration = true)));
        services.AddSingleton<IOptionsChangeTokenSource<MeshHubOptions>>(new ConfigurationChangeTokenSource<MeshHubOptions>(configuration));
        services.AddSingleton<IOptionsChangeTokenSource<SqliteHubOptions>>(new ConfigurationChangeTokenSource<SqliteHubOptions>(sqliteKeys));
        services.AddSingleton<IOptionsChangeTokenSource<MeshHubEndpointOptions>>(new ConfigurationChangeTokenSource<MeshHubEndpointOptions>(endpointKeys));
        if (configure is not null) services.Configure(configure);
        return services;
    }

    private static void Bind(string path, Action bind)
    {
        try
        {
            bind();
        }
        catch (InvalidOperationException e)
        {
            // Unknown keys and unconvertible values: name the section, the binder's message names the key.
            throw new InvalidOperationException($"Invalid Meowstik hub configuration in section '{path}': {e.Message}", e);
        }
    }

    private static void AddHubServices(IServiceCollection services)
    {
        if (services.Any(static d => d.ServiceType == typeof(HubServicesMarker))) return;
        services.AddSingleton<HubServicesMarker>();
        services.AddOptions<MeshHubOptions>().ValidateOnStart();
        services.AddOptions<SqliteHubOptions>().ValidateOnStart();
        services.AddOptions<MeshHubEndpointOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MeshHubOptions>, MeshHubOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteHubOptions>, SqliteHubOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MeshHubEndpointOptions>, MeshHubEndpointOptionsValidator>());

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
    }

    /// <summary>Marks a collection the hub's services were added to, so that adding them again (to combine overloads) is harmless.</summary>
    private sealed class HubServicesMarker;
}
