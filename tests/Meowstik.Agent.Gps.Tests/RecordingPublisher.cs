using System.Collections.Concurrent;
using Meowstik.Protocol;

namespace Meowstik.Agent.Gps.Tests;

/// <summary>An <see cref="IMeshPublisher"/> that records stream chunks (the foundation's kit will provide one).</summary>
internal sealed class RecordingPublisher : IMeshPublisher
{
    public ConcurrentQueue<OutgoingStreamChunk> Chunks { get; } = new();

    public string DeviceId => "car-001";

    public bool IsOnline => true;

    public bool PublishEvent(string eventName, MeshJson data = default, string? to = null) => true;

    public bool PublishStreamChunk(OutgoingStreamChunk chunk)
    {
        Chunks.Enqueue(chunk);
        return true;
    }

    public Task<long> PublishStreamAsync(IAsyncEnumerable<OutgoingStreamChunk> chunks, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<MeshReply> QueryAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<MeshReply> SendCommandAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
