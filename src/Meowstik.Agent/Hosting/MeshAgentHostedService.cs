using Microsoft.Extensions.Hosting;

namespace Meowstik.Agent;

/// <summary>Runs the registered <see cref="MeshAgent"/> for the host's lifetime; stopping the host closes the connection gracefully.</summary>
public sealed class MeshAgentHostedService : BackgroundService
{
    private readonly MeshAgent _agent;

    /// <summary>Creates the service.</summary>
    /// <param name="agent">The agent to run.</param>
    public MeshAgentHostedService(MeshAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _agent = agent;
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => _agent.RunAsync(stoppingToken);
}
