namespace Meowstik.Hub.Core;

/// <summary>
/// Collects, while one received message is routed, the recipients whose outbound queues went above their high-water mark, so
/// the sender's receive loop can stop reading until they drain (backpressure reaches the sender through TCP).
/// <para>
/// Routing is synchronous and runs on the sender's receive loop, so the scope is carried in a thread-static slot for exactly
/// the duration of that synchronous call: every <c>Send</c> made while routing (to a device, a broadcast's recipients, or an
/// error back to the sender itself) reports pressure here without every routing method passing the sender along. Sends made
/// outside a receive loop (the host API, timers) have no scope: they are bounded by the hard cap only.
/// </para>
/// </summary>
internal sealed class BackpressureScope
{
    [ThreadStatic]
    private static BackpressureScope? t_current;

    private readonly List<OutboundQueue> _pressured = new(1);

    /// <summary>The scope of the message being routed on this thread, if any.</summary>
    public static BackpressureScope? Current => t_current;

    /// <summary>True when a recipient reported pressure since the last wait.</summary>
    public bool HasPressure => _pressured.Count > 0;

    /// <summary>Makes this scope current on this thread (until <see cref="Exit"/>).</summary>
    public void Enter() => t_current = this;

    /// <summary>Clears the thread's current scope.</summary>
    public void Exit() => t_current = null;

    /// <summary>Records a recipient above its high-water mark.</summary>
    public void Add(OutboundQueue queue)
    {
        if (!_pressured.Contains(queue)) _pressured.Add(queue);
    }

    /// <summary>Waits until every recorded recipient has drained (or closed), then forgets them.</summary>
    public async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            for (int i = 0; i < _pressured.Count; i++) await _pressured[i].WaitForDrainAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pressured.Clear();
        }
    }
}
