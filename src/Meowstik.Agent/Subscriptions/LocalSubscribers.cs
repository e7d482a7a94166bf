using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>
/// The agent's in-process subscribers of one kind (events or stream chunks), each with its filter. Publishing reads a
/// snapshot (no lock on the receive loop) and never blocks: a full subscription drops its oldest item.
/// </summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class LocalSubscribers<T>
{
    private readonly Lock _lock = new();
    private readonly int _capacity;
    private Subscriber[] _subscribers = [];
    private bool _completed;

    public LocalSubscribers(int capacity)
    {
        _capacity = capacity;
    }

    /// <summary>Registers a subscription receiving the items <paramref name="matches"/> accepts, from now on.</summary>
    public MeshSubscription<T> Add(Func<T, bool> matches)
    {
        var subscription = new MeshSubscription<T>(_capacity, Remove);
        lock (_lock)
        {
            if (_completed)
            {
                // Lost a race with the agent's disposal: an already finished subscription.
                subscription.Complete();
                return subscription;
            }

            _subscribers = [.. _subscribers, new Subscriber(subscription, matches)];
        }

        return subscription;
    }

    /// <summary>Offers an item to every matching subscription.</summary>
    public void Publish(T item)
    {
        foreach (Subscriber subscriber in Volatile.Read(ref _subscribers))
        {
            if (subscriber.Matches(item))
            {
                subscriber.Subscription.TryPublish(item);
            }
        }
    }

    /// <summary>Ends every subscription (their enumerations finish after what they buffered) and refuses new ones.</summary>
    public void CompleteAll()
    {
        Subscriber[] subscribers;
        lock (_lock)
        {
            _completed = true;
            subscribers = _subscribers;
            _subscribers = [];
        }

        foreach (Subscriber subscriber in subscribers)
        {
            subscriber.Subscription.Complete();
        }
    }

    private void Remove(MeshSubscription<T> subscription)
    {
        lock (_lock)
        {
            _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s.Subscription, subscription));
        }
    }

    private sealed record Subscriber(MeshSubscription<T> Subscription, Func<T, bool> Matches);
}
