using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Meowstik.Hub;

/// <summary>
/// A live in-process subscription (events or stream chunks) returned by <see cref="MeshHub.SubscribeEvents"/> and
/// <see cref="MeshHub.SubscribeStream"/>. It is registered when created, so nothing published afterwards is missed; enumerate it
/// with <c>await foreach</c> and dispose it to stop. A subscriber that falls behind by more than its capacity loses the oldest
/// items (counted in <see cref="Dropped"/> and in the hub's drop metric).
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed class MeshSubscription<T> : IAsyncEnumerable<T>, IDisposable
{
    private readonly Channel<T> _channel;
    private readonly Action<MeshSubscription<T>> _unsubscribe;
    private readonly Action _onDrop;
    private long _dropped;
    private int _disposed;

    internal MeshSubscription(int capacity, Action<MeshSubscription<T>> unsubscribe, Action onDrop)
    {
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

    internal bool TryPublish(T item) => _channel.Writer.TryWrite(item);

    internal void Complete() => _channel.Writer.TryComplete();

    private void OnDropped()
    {
        Interlocked.Increment(ref _dropped);
        _onDrop();
    }
}
