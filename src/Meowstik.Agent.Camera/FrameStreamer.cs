namespace Meowstik.Agent.Camera;

/// <summary>
/// Hands stream frames to the agent without ever building a backlog: at most <c>maxInFlight</c> frames are with the agent
/// (their lease not yet released), and one more may wait; a newer frame replaces the waiting one, which is dropped and
/// counted (newest wins). A sender thread publishes the waiting frame as soon as a lease comes back, so a lease released
/// on the agent's writer thread never calls back into the agent.
/// </summary>
internal sealed class FrameStreamer : IDisposable
{
    private readonly IMeshPublisher _publisher;
    private readonly int _maxInFlight;
    private readonly string? _to;
    private readonly Action<CameraFrame> _released;
    private readonly AutoResetEvent _signal = new(false);
    private readonly Thread _sender;
    private readonly Action<long>? _onDropped;
    private readonly Action<long>? _onOffline;
    private readonly Action? _onSent;
    private CameraFrame? _waiting;
    private int _inFlight;
    private int _peakInFlight;
    private long _sent;
    private long _dropped;
    private volatile bool _stopping;

    public FrameStreamer(IMeshPublisher publisher, int maxInFlight, string? to, Action? onSent = null, Action<long>? onDropped = null, Action<long>? onOffline = null)
    {
        _publisher = publisher;
        _maxInFlight = maxInFlight;
        _to = to;
        _onSent = onSent;
        _onDropped = onDropped;
        _onOffline = onOffline;
        _released = _ =>
        {
            Interlocked.Decrement(ref _inFlight);
            if (!_stopping)
            {
                try
                {
                    _signal.Set();
                }
                catch (ObjectDisposedException)
                {
                    // The stream stopped while the agent still held this frame; nothing waits for it.
                }
            }
        };
        _sender = new Thread(SendLoop) { IsBackground = true, Name = "meowstik-camera-sender" };
        _sender.Start();
    }

    /// <summary>Frames handed to the agent.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Frames dropped: replaced while waiting, or refused by the agent (offline).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Frames with the agent now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most frames ever with the agent at once.</summary>
    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    /// <summary>Offers a new frame (this streamer now owns it): it waits for a free slot, replacing any frame waiting.</summary>
    public void Offer(CameraFrame frame)
    {
        if (_stopping)
        {
            frame.Dispose();
            return;
        }

        CameraFrame? replaced = Interlocked.Exchange(ref _waiting, frame);
        if (replaced is not null)
        {
            replaced.Dispose();
            Interlocked.Increment(ref _dropped);
            _onDropped?.Invoke(1);
        }

        _signal.Set();
    }

    public void Dispose()
    {
        _stopping = true;
        _signal.Set();
        _sender.Join();
        Interlocked.Exchange(ref _waiting, null)?.Dispose();
        _signal.Dispose();
    }

    private void SendLoop()
    {
        while (true)
        {
            _signal.WaitOne();
            if (_stopping)
            {
                return;
            }

            while (Volatile.Read(ref _inFlight) < _maxInFlight && Interlocked.Exchange(ref _waiting, null) is { } frame)
            {
                Send(frame);
            }
        }
    }

    private void Send(CameraFrame frame)
    {
        int inFlight = Interlocked.Increment(ref _inFlight);
        int peak;
        while (inFlight > (peak = Volatile.Read(ref _peakInFlight)) && Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak) != peak)
        {
        }

        frame.OnReleased(_released);
        var chunk = new OutgoingStreamChunk
        {
            StreamType = CameraCapability.StreamType,
            Codec = "jpeg",
            Width = frame.Width,
            Height = frame.Height,
            FrameIndex = frame.Index,
            Data = frame.Jpeg,
            Lease = frame,
            To = _to,
        };
        bool queued;
        try
        {
            queued = _publisher.PublishStreamChunk(chunk);
        }
        catch (Exception)
        {
            // A publisher that throws keeps no lease: release it here, and count the frame as dropped.
            frame.Dispose();
            queued = false;
        }

        if (queued)
        {
            Interlocked.Increment(ref _sent);
            _onSent?.Invoke();
        }
        else
        {
            // The agent dropped it (offline) and released its lease.
            Interlocked.Increment(ref _dropped);
            _onOffline?.Invoke(1);
        }
    }
}
