using Microsoft.Extensions.Hosting;

namespace Meowstik.Agent;

/// <summary>
/// Runs the registered <see cref="MeshAgent"/> for the host's lifetime; stopping the host closes the connection gracefully.
/// </summary>
/// <remarks>
/// When the hub rejects the token (state <see cref="AgentState.AuthFailed"/>, no <see cref="MeshAgentOptions.AuthFailureRetryDelay"/>)
/// and <see cref="MeshAgentOptions.StopApplicationOnAuthFailure"/> is true (the default), the service fails with a
/// <see cref="MeshAuthenticationException"/> instead of idling. The host handles that like any failed background service:
/// it logs the exception and, with <c>BackgroundServiceExceptionBehavior.StopHost</c> (the default), stops the application.
/// The exit code is the host's to decide; the service does not set <see cref="Environment.ExitCode"/>.
/// </remarks>
public sealed class MeshAgentHostedService : BackgroundService
{
    private readonly MeshAgent _agent;

    /// <summary>Creates the service.</summary>
    /// <param name="agent">The agent to run.</param>
    public MeshAgentHostedService(MeshAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _agent = agent;

        // The exception this service throws is the one report of the rejected token (the host logs it).
        agent.AuthFailureReportedByHost = agent.Options.StopApplicationOnAuthFailure;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _agent.RunAsync(stoppingToken).ConfigureAwait(false);
        if (_agent.AuthFailureReportedByHost && !stoppingToken.IsCancellationRequested && _agent.State == AgentState.AuthFailed)
        {
            string reason = _agent.StateReason ?? "unknown reason";
            throw new MeshAuthenticationException(
                reason,
                $"Agent {_agent.DeviceId} stopped: the hub rejected its token ({reason}). Fix the token, or set "
                + $"{MeshAgentOptions.SectionName}:{nameof(MeshAgentOptions.StopApplicationOnAuthFailure)} to false to keep the application running.");
        }
    }
}
