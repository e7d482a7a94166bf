using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Core;

/// <summary>The hub's embedded defaults on one SQLite file: hashed tokens, catch phrases and the batched audit writer.</summary>
internal sealed class EmbeddedStores : IAsyncDisposable
{
    private EmbeddedStores(SqliteMeshStore database, AuthManager auth, SqliteAuditSink audit, CatchPhraseRegistry catchPhrases)
    {
        Database = database;
        Auth = auth;
        Audit = audit;
        CatchPhrases = catchPhrases;
    }

    public SqliteMeshStore Database { get; }

    public AuthManager Auth { get; }

    public SqliteAuditSink Audit { get; }

    public CatchPhraseRegistry CatchPhrases { get; }

    public static async Task<EmbeddedStores> OpenAsync(
        MeshHubOptions options,
        TimeProvider? time,
        ILoggerFactory? loggerFactory,
        IMeterFactory? meterFactory,
        CancellationToken cancellationToken)
    {
        SqliteMeshStore database = await SqliteMeshStore.OpenAsync(options.DatabasePath, cancellationToken).ConfigureAwait(false);
        var audit = new SqliteAuditSink(database, options.Audit, time, loggerFactory?.CreateLogger<SqliteAuditSink>(), meterFactory);
        var auth = new AuthManager(new SqliteTokenStore(database), options.Auth, audit, time, loggerFactory?.CreateLogger<AuthManager>(), meterFactory);
        await auth.LoadAsync(cancellationToken).ConfigureAwait(false);
        var catchPhrases = new CatchPhraseRegistry(new SqliteCatchPhraseStore(database), auth, loggerFactory?.CreateLogger<CatchPhraseRegistry>());
        return new EmbeddedStores(database, auth, audit, catchPhrases);
    }

    public async ValueTask DisposeAsync()
    {
        await Audit.DisposeAsync().ConfigureAwait(false);
        Auth.Dispose();
        await Database.DisposeAsync().ConfigureAwait(false);
    }
}
