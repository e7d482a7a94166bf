using System.Collections.Concurrent;

using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>The correlation table of requests this agent sent: message id → the caller waiting for the answer, and the device asked.</summary>
internal sealed class PendingRequests
{
    private readonly ConcurrentDictionary<string, Pending> _waiting = new(StringComparer.Ordinal);

    public int Count => _waiting.Count;

    public TaskCompletionSource<MeshReply> Add(string messageId, string targetDeviceId)
    {
        var waiter = new TaskCompletionSource<MeshReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_waiting.TryAdd(messageId, new Pending(waiter, targetDeviceId)))
        {
            throw new InvalidOperationException($"A request with id '{messageId}' is already pending.");
        }

        return waiter;
    }

    public void Remove(string messageId) => _waiting.TryRemove(messageId, out _);

    /// <summary>Completes the waiter for <paramref name="correlationId"/>; false when nobody waits (late or unknown answer).</summary>
    public bool TryComplete(string correlationId, MeshReply reply) =>
        _waiting.TryRemove(correlationId, out Pending? pending) && pending.Waiter.TrySetResult(reply);

    /// <summary>Fails the waiter for <paramref name="correlationId"/> with a <see cref="MeshRequestException"/> naming the device asked; false when nobody waits.</summary>
    public bool TryFail(string correlationId, string code, string message) =>
        _waiting.TryRemove(correlationId, out Pending? pending)
        && pending.Waiter.TrySetException(new MeshRequestException(code, message, pending.TargetDeviceId));

    /// <summary>Fails every waiter (the agent is being disposed).</summary>
    public void FailAll(Exception error)
    {
        foreach (string id in _waiting.Keys)
        {
            if (_waiting.TryRemove(id, out Pending? pending))
            {
                pending.Waiter.TrySetException(error);
            }
        }
    }

    private sealed record Pending(TaskCompletionSource<MeshReply> Waiter, string TargetDeviceId);
}
