using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Meowstik.Protocol;

/// <summary>
/// A live in-process subscription to events or stream chunks, returned by the agent's and the hub's <c>SubscribeEvents</c> and
/// <c>SubscribeStream</c>. It is registered when created, so nothing published afterwards is missed; enumerate it
/// with <c>await foreach</c> and dispose it to stop. A subscriber that falls behind by more than its capacity loses the oldest
/// items (counted in <see cref="Dropped"/>).
/// </summary>
/// <remarks>The publishing side (the agent, the hub) creates it and feeds it with <see cref="TryPublish"/>.</remarks>
/// <typeparam name="T">The item type.</typeparam>
public sealed class MeshSubscription<T> : IAsyncEnumerable<T>, IDisposable
{
    private readonly Channel<T> _channel;
    private readonly Action<MeshSubscription<T>> _unsubscribe;
    private readonly Action? _onDrop;
    private long _dropped;
    private int _disposed;

    /// <summary>Creates a subscription; the publisher keeps it in its subscriber list until <paramref name="unsubscribe"/> is called.</summary>
    /// <param name="capacity">How many items it buffers before dropping the oldest.</param>
    /// <param name="unsubscribe">Called once on <see cref="Dispose"/>: remove it from the publisher's list.</param>
    /// <param name="onDrop">Called for each item dropped (for the publisher's metrics), if given.</param>
    public MeshSubscription(int capacity, Action<MeshSubscription<T>> unsubscribe, Action? onDrop = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentNullException.ThrowIfNull(unsubscribe);
        _unsubscribe = unsubscribe;
        _onDrop = onDrop;
        _channel = Channel.CreateBounded<T>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false },
            _ => OnDropped());
    }

    /// <summary>Items lost because the subscriber fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <inheritdoc />
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        ChannelReader<T> reader = _channel.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out T? item)) yield return item;
        }
    }

    /// <summary>Enumerates with cancellation (the same as <c>WithCancellation</c>).</summary>
    public ConfiguredCancelableAsyncEnumerable<T> WithCancellation(CancellationToken cancellationToken) =>
        TaskAsyncEnumerableExtensions.WithCancellation(this, cancellationToken);

    /// <summary>Stops the subscription; enumeration ends after the items already buffered.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _unsubscribe(this);
        _channel.Writer.TryComplete();
    }

    /// <summary>Offers an item (publisher side); the oldest buffered item is dropped when full.</summary>
    /// <param name="item">The item.</param>
    /// <returns><see langword="false"/> once the subscription is disposed or completed.</returns>
    public bool TryPublish(T item) => _channel.Writer.TryWrite(item);

    /// <summary>Ends the subscription from the publisher's side (shutdown); enumeration ends after the buffered items.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    private void OnDropped()
    {
        Interlocked.Increment(ref _dropped);
        _onDrop?.Invoke();
    }
}
