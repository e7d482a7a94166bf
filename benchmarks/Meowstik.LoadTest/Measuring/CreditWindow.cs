namespace Meowstik.LoadTest.Measuring;

/// <summary>
/// Flow control for one sending loop: the sender takes credits before sending, receipts give them back. A message that is
/// never delivered never returns its credits, so losses show up as a stalled sender (and as lost messages), never as speed.
/// </summary>
internal sealed class CreditWindow(long capacity)
{
    private readonly Lock _lock = new();
    private long _available = capacity;
    private long _wanted;
    private TaskCompletionSource<bool>? _waiter;

    /// <summary>Waits for <paramref name="credits"/>; false when <paramref name="cancellationToken"/> fired first.</summary>
    public Task<bool> TakeAsync(long credits, CancellationToken cancellationToken)
    {
        TaskCompletionSource<bool> waiter;
        lock (_lock)
        {
            if (_available >= credits)
            {
                _available -= credits;
                return Task.FromResult(true);
            }
            _wanted = credits;
            // Captured under the lock: a Release on another thread may complete and clear _waiter right after it.
            waiter = _waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        return WaitAsync(waiter, cancellationToken);
    }

    public void Release(long credits)
    {
        TaskCompletionSource<bool>? wake = null;
        lock (_lock)
        {
            _available += credits;
            if (_waiter is not null && _available >= _wanted)
            {
                _available -= _wanted;
                wake = _waiter;
                _waiter = null;
            }
        }
        wake?.TrySetResult(true);
    }

    private async Task<bool> WaitAsync(TaskCompletionSource<bool> waiter, CancellationToken cancellationToken)
    {
        await using (cancellationToken.Register(() =>
        {
            lock (_lock)
            {
                if (_waiter != waiter) return;
                _waiter = null;
            }
            waiter.TrySetResult(false);
        }).ConfigureAwait(false))
        {
            return await waiter.Task.ConfigureAwait(false);
        }
    }
}
