namespace Meowstik.Agent;

/// <summary>
/// A capability that also produces data on its own (CAN frames, GPS fixes, camera frames): the agent runs
/// <see cref="RunAsync"/> once for its whole lifetime, across reconnects.
/// </summary>
public interface IMeshBackgroundCapability
{
    /// <summary>Publishes events and stream chunks until cancelled. Exceptions are logged; the agent keeps running.</summary>
    /// <param name="publisher">Where to publish; events are queued while offline, stream chunks are dropped.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the producer stops.</returns>
    Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken);
}
