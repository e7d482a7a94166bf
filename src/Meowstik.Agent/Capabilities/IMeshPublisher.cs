using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>What a capability (or any code holding the agent) can send into the mesh.</summary>
public interface IMeshPublisher
{
    /// <summary>This agent's device id.</summary>
    string DeviceId { get; }

    /// <summary>Whether the agent is registered with the hub right now.</summary>
    bool IsOnline { get; }

    /// <summary>Queues an <c>event</c>. Events are kept in order and survive reconnects (bounded outbox, drop-oldest).</summary>
    /// <param name="eventName">The event name (<c>payload.event</c>).</param>
    /// <param name="data">The event data (<c>payload.data</c>); <see cref="MeshJson.None"/> for none.</param>
    /// <param name="to">The target: null for the hub, <c>broadcast</c> or a device id.</param>
    /// <returns>False when the agent is stopped and the event was dropped.</returns>
    bool PublishEvent(string eventName, MeshJson data = default, string? to = null);

    /// <summary>Sends a stream chunk if online; otherwise it is dropped and counted (streams are live data).</summary>
    /// <param name="chunk">The chunk.</param>
    /// <returns>True when the chunk was queued for sending.</returns>
    bool PublishStreamChunk(OutgoingStreamChunk chunk);

    /// <summary>Sends every chunk of a stream as it is produced; chunks produced while offline are dropped.</summary>
    /// <param name="chunks">The stream.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The number of chunks queued for sending.</returns>
    Task<long> PublishStreamAsync(IAsyncEnumerable<OutgoingStreamChunk> chunks, CancellationToken cancellationToken = default);

    /// <summary>Sends a <c>query</c> to another device and waits for its <c>response</c>.</summary>
    /// <param name="deviceId">The target device.</param>
    /// <param name="action">The action to query.</param>
    /// <param name="parameters">The <c>params</c> value, if any.</param>
    /// <param name="timeout">How long to wait; <see cref="MeshAgentOptions.RequestTimeout"/> when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="MeshRequestException">The target or hub answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer within the timeout.</exception>
    Task<MeshReply> QueryAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>Sends a <c>command</c> to another device and waits for its <c>response</c>.</summary>
    /// <param name="deviceId">The target device.</param>
    /// <param name="action">The action to execute.</param>
    /// <param name="parameters">The <c>params</c> value, if any.</param>
    /// <param name="timeout">How long to wait; <see cref="MeshAgentOptions.RequestTimeout"/> when null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reply.</returns>
    /// <exception cref="MeshRequestException">The target or hub answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer within the timeout.</exception>
    Task<MeshReply> SendCommandAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default);
}
