using Meowstik.Hub;
using Meowstik.Hub.Auth;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Loads the token cache at start-up and closes every mesh connection (1001) when the host stops.</summary>
internal sealed class MeshHubLifetime(MeshHub hub, AuthManager auth) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => auth.LoadAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await hub.DisposeAsync().ConfigureAwait(false);
}
