namespace Meowstik.Agent;

/// <summary>A fixed-capacity double-ended queue over one array (no allocation per item). Not thread-safe.</summary>
internal sealed class RingBuffer<T>
{
    private readonly T[] _items;
    private int _head;

    public RingBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _items = new T[capacity];
    }

    public int Count { get; private set; }

    public int Capacity => _items.Length;

    public bool IsFull => Count == _items.Length;

    /// <summary>Appends at the tail; the caller makes room first when full.</summary>
    public void PushBack(T item)
    {
        if (IsFull)
        {
            throw new InvalidOperationException("The ring buffer is full.");
        }

        _items[(_head + Count) % _items.Length] = item;
        Count++;
    }

    /// <summary>Puts an item back at the head (a message whose send failed goes out first next time).</summary>
    public void PushFront(T item)
    {
        if (IsFull)
        {
            throw new InvalidOperationException("The ring buffer is full.");
        }

        _head = (_head - 1 + _items.Length) % _items.Length;
        _items[_head] = item;
        Count++;
    }

    public bool TryPopFront(out T item)
    {
        if (Count == 0)
        {
            item = default!;
            return false;
        }

        item = _items[_head];
        _items[_head] = default!;
        _head = (_head + 1) % _items.Length;
        Count--;
        return true;
    }
}
