using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// A command or query waiting for its response: who asked (a connection or the host), whom it was sent to, and its deadline
/// on the hub's timer wheel. Pooled by <see cref="CorrelationTable"/>; the id is kept inline so tracking a request does not allocate.
/// </summary>
internal sealed class PendingRequest : TimerWheelEntry
{
    public const int MaxIdBytes = 256;

    private readonly byte[] _id = new byte[MaxIdBytes];

    public PendingRequest(CorrelationTable owner, bool pooled)
    {
        Owner = owner;
        IsPooled = pooled;
    }

    /// <summary>Pooled entries are reused after completion; host requests are not (their cancellation callback may outlive them).</summary>
    public bool IsPooled { get; }

    public CorrelationTable Owner { get; }

    public int IdLength { get; private set; }

    public ReadOnlySpan<byte> Id => _id.AsSpan(0, IdLength);

    public MessageType Type { get; set; }

    /// <summary>The requesting connection, or null when the host asked.</summary>
    public MeshConnection? Requester { get; set; }

    /// <summary>Completed with the response when the host asked.</summary>
    public TaskCompletionSource<MeshReply>? HostWaiter { get; set; }

    /// <summary>The connection the request went to (only it may answer); null for a broadcast.</summary>
    public MeshConnection? Target { get; set; }

    /// <summary>The target device id (for errors and logs).</summary>
    public string? TargetDeviceId { get; set; }

    /// <summary>The requested action (interned), for the state store's last response per action.</summary>
    public string? Action { get; set; }

    /// <summary>A broadcast request accepts any number of responses and expires silently.</summary>
    public bool IsBroadcast { get; set; }

    /// <summary>When the request was received (<see cref="System.Diagnostics.Stopwatch"/> timestamp), for latency.</summary>
    public long StartTimestamp { get; set; }

    /// <summary>Set once the table handed it out; guards against double completion.</summary>
    public bool InTable { get; set; }

    public bool TrySetId(ReadOnlySpan<byte> id)
    {
        if (id.Length is 0 or > MaxIdBytes) return false;
        id.CopyTo(_id);
        IdLength = id.Length;
        return true;
    }

    public void Reset()
    {
        IdLength = 0;
        Type = MessageType.Unknown;
        Requester = null;
        HostWaiter = null;
        Target = null;
        TargetDeviceId = null;
        Action = null;
        IsBroadcast = false;
        StartTimestamp = 0;
        InTable = false;
    }

    internal override void OnDeadline(long nowTimestamp) => Owner.Expire(this, nowTimestamp);
}
