using Meowstik.Hub.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Loads the token cache at start-up, reloads it every <see cref="MeshHubOptions.TokenRefreshInterval"/> (tokens issued or
/// revoked by another process), and closes every mesh connection (1001) as soon as the host begins stopping — before Kestrel
/// waits for requests to drain, which an open WebSocket never would.
/// </summary>
internal sealed partial class MeshHubLifetime(
    MeshHub hub, AuthManager auth, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<MeshHubLifetime> logger) : IHostedService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _refresh = Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await auth.RefreshAsync(cancellationToken).ConfigureAwait(false);
        lifetime.ApplicationStopping.Register(static h => ((MeshHub)h!).StopAsync(), hub);
        TimeSpan interval = hub.Options.TokenRefreshInterval;
        if (interval > TimeSpan.Zero) _refresh = RefreshAsync(interval, _stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _refresh.ConfigureAwait(false);
        await hub.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RefreshAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await auth.RefreshAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.RefreshFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Reloading the token store failed; retrying at the next interval")]
        public static partial void RefreshFailed(ILogger logger, Exception exception);
    }
}
