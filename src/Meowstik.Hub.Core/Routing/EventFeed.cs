using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// Fans events out to in-process subscribers (<see cref="MeshHub.SubscribeEvents"/>). Costs nothing when nobody subscribed;
/// otherwise the payload is parsed once per event and shared by every matching subscriber.
/// </summary>
internal sealed class EventFeed
{
    private readonly Lock _lock = new();
    private readonly HubMetrics _metrics;
    private readonly int _capacity;
    private Subscriber[] _subscribers = [];

    public EventFeed(HubMetrics metrics, int capacity)
    {
        _metrics = metrics;
        _capacity = capacity;
    }

    public bool HasSubscribers => Volatile.Read(ref _subscribers).Length > 0;

    public MeshSubscription<MeshEvent> Subscribe(string? deviceId, string? eventName)
    {
        var subscription = new MeshSubscription<MeshEvent>(_capacity, Unsubscribe, () => _metrics.Dropped(DropReason.HostSubscriberOverflow));
        lock (_lock)
        {
            _subscribers = [.. _subscribers, new Subscriber(subscription, deviceId, eventName)];
        }
        return subscription;
    }

    /// <summary>Publishes an event whose payload is a JSON slice.</summary>
    public void Publish(string from, ReadOnlySpan<char> name, Utf8JsonSlice payload, DateTimeOffset timestamp)
    {
        Subscriber[] subscribers = Volatile.Read(ref _subscribers);
        if (subscribers.Length == 0) return;
        MeshEvent? created = null;
        foreach (Subscriber subscriber in subscribers)
        {
            if (!subscriber.Matches(from, name)) continue;
            created ??= new MeshEvent(from, name.ToString(), Parse(payload), timestamp);
            subscriber.Subscription.TryPublish(created);
        }
    }

    /// <summary>Publishes an event the hub itself raised.</summary>
    public void Publish(MeshEvent meshEvent)
    {
        foreach (Subscriber subscriber in Volatile.Read(ref _subscribers))
        {
            if (subscriber.Matches(meshEvent.From, meshEvent.Name) || subscriber.Matches(DeviceIdOf(meshEvent), meshEvent.Name))
            {
                subscriber.Subscription.TryPublish(meshEvent);
            }
        }
    }

    public void CompleteAll()
    {
        foreach (Subscriber subscriber in Volatile.Read(ref _subscribers)) subscriber.Subscription.Complete();
    }

    private static string DeviceIdOf(MeshEvent meshEvent) =>
        meshEvent.Payload.ValueKind == JsonValueKind.Object && meshEvent.Payload.TryGetProperty("device_id", out JsonElement id) && id.ValueKind == JsonValueKind.String
            ? id.GetString()!
            : meshEvent.From;

    private static JsonElement Parse(Utf8JsonSlice payload)
    {
        if (!payload.IsPresent) return default;
        Utf8JsonReader reader = payload.CreateReader();
        using JsonDocument document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.Clone();
    }

    private void Unsubscribe(MeshSubscription<MeshEvent> subscription)
    {
        lock (_lock)
        {
            _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s.Subscription, subscription));
        }
    }

    private sealed record Subscriber(MeshSubscription<MeshEvent> Subscription, string? DeviceId, string? EventName)
    {
        public bool Matches(string from, ReadOnlySpan<char> name) =>
            (DeviceId is null || DeviceId == from) && (EventName is null || name.SequenceEqual(EventName));
    }
}
