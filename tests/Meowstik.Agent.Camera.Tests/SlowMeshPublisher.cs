using System.Collections.Concurrent;
using Meowstik.Protocol;

namespace Meowstik.Agent.Camera.Tests;

/// <summary>
/// A link slower than the camera: it accepts stream chunks and holds their leases (as the agent does while a chunk waits for
/// the socket) until the test releases them. Checks every lease is released exactly once.
/// </summary>
internal sealed class SlowMeshPublisher : IMeshPublisher
{
    private readonly ConcurrentQueue<OutgoingStreamChunk> _held = new();
    private readonly ConcurrentQueue<long> _indices = new();
    private readonly ConcurrentDictionary<OutgoingStreamChunk, int> _releasedLeases = new(ReferenceEqualityComparer.Instance);
    private int _published;
    private int _doubleReleases;

    public string DeviceId => "cam-001";

    public bool IsOnline => true;

    public bool Hold { get; set; } = true;

    public int Published => Volatile.Read(ref _published);

    public int Held => _held.Count;

    public int DoubleReleases => Volatile.Read(ref _doubleReleases);

    public IReadOnlyList<long> Indices => [.. _indices];

    public bool PublishEvent(string eventName, MeshJson data = default, string? to = null) => true;

    public bool PublishStreamChunk(OutgoingStreamChunk chunk)
    {
        Interlocked.Increment(ref _published);
        _indices.Enqueue(chunk.FrameIndex!.Value);
        Assert.NotNull(chunk.Lease);
        TestMedia.Decode(chunk.Data.Span).Dispose(); // valid until the lease is released
        if (Hold)
        {
            _held.Enqueue(chunk);
        }
        else
        {
            Release(chunk);
        }

        return true;
    }

    /// <summary>"Writes" every held chunk: releases its lease.</summary>
    public void ReleaseAll()
    {
        while (_held.TryDequeue(out OutgoingStreamChunk? chunk))
        {
            Release(chunk);
        }
    }

    public Task<long> PublishStreamAsync(IAsyncEnumerable<OutgoingStreamChunk> chunks, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<MeshReply> QueryAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<MeshReply> SendCommandAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    private void Release(OutgoingStreamChunk chunk)
    {
        // A pooled frame is reused after release, so track releases per chunk, not per lease object.
        chunk.Lease!.Dispose();
        if (!_releasedLeases.TryAdd(chunk, 1))
        {
            Interlocked.Increment(ref _doubleReleases);
        }
    }
}
