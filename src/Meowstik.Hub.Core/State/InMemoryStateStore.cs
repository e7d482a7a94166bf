using System.Collections.Concurrent;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.State;

/// <summary>
/// The embedded <see cref="IStateStore"/>: everything in memory, lost on restart. Writes reuse each value's buffer, so steady
/// traffic (heartbeats, responses, events with the same names) does not allocate; snapshots parse JSON on read.
/// Each device keeps at most <see cref="MaxNamesPerDevice"/> distinct action and event names (further names are not recorded),
/// and at most <see cref="MaxDevices"/> devices are remembered.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    /// <summary>Most distinct action (and event) names kept per device.</summary>
    public const int MaxNamesPerDevice = 256;

    /// <summary>Most devices remembered.</summary>
    public const int MaxDevices = 100_000;

    private readonly ConcurrentDictionary<string, Entry> _devices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    /// <summary>Creates an empty store.</summary>
    public InMemoryStateStore() => _bySpan = _devices.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <inheritdoc />
    public void SetRegistered(DeviceRegistration registration, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (!_devices.TryGetValue(registration.DeviceId, out Entry? entry))
        {
            if (_devices.Count >= MaxDevices) return;
            entry = _devices.GetOrAdd(registration.DeviceId, static _ => new Entry());
        }
        lock (entry)
        {
            entry.Registration = registration;
            entry.IsOnline = true;
            entry.Since = at;
        }
    }

    /// <inheritdoc />
    public void SetOffline(string deviceId, DateTimeOffset at)
    {
        if (!_devices.TryGetValue(deviceId, out Entry? entry)) return;
        lock (entry)
        {
            entry.IsOnline = false;
            entry.Since = at;
        }
    }

    /// <inheritdoc />
    public void SetHeartbeat(string deviceId, Utf8JsonSlice payload, DateTimeOffset at)
    {
        if (!_devices.TryGetValue(deviceId, out Entry? entry)) return;
        lock (entry)
        {
            entry.Heartbeat ??= new Slot();
            entry.Heartbeat.Set(payload, at);
        }
    }

    /// <inheritdoc />
    public void SetResponse(string deviceId, ReadOnlySpan<char> action, Utf8JsonSlice payload, DateTimeOffset at)
    {
        if (action.IsEmpty || !_devices.TryGetValue(deviceId, out Entry? entry)) return;
        lock (entry)
        {
            SetNamed(entry.Responses, action, payload, at);
        }
    }

    /// <inheritdoc />
    public void SetEvent(string deviceId, ReadOnlySpan<char> eventName, Utf8JsonSlice payload, DateTimeOffset at)
    {
        if (eventName.IsEmpty || !_devices.TryGetValue(deviceId, out Entry? entry)) return;
        lock (entry)
        {
            SetNamed(entry.Events, eventName, payload, at);
        }
    }

    /// <inheritdoc />
    public bool IsKnown(ReadOnlySpan<char> deviceId) => _bySpan.ContainsKey(deviceId);

    /// <inheritdoc />
    public DeviceState? Get(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        return _devices.TryGetValue(deviceId, out Entry? entry) ? Snapshot(entry) : null;
    }

    /// <inheritdoc />
    public IReadOnlyList<DeviceState> List()
    {
        var result = new List<DeviceState>(_devices.Count);
        foreach (Entry entry in _devices.Values)
        {
            DeviceState? state = Snapshot(entry);
            if (state is not null) result.Add(state);
        }
        result.Sort(static (a, b) => string.CompareOrdinal(a.DeviceId, b.DeviceId));
        return result;
    }

    private static void SetNamed(Dictionary<string, Slot> slots, ReadOnlySpan<char> name, Utf8JsonSlice payload, DateTimeOffset at)
    {
        var lookup = slots.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(name, out Slot? slot))
        {
            if (slots.Count >= MaxNamesPerDevice) return;
            slot = new Slot();
            lookup[name] = slot;
        }
        slot.Set(payload, at);
    }

    private static DeviceState? Snapshot(Entry entry)
    {
        lock (entry)
        {
            if (entry.Registration is null) return null;
            return new DeviceState
            {
                Registration = entry.Registration,
                IsOnline = entry.IsOnline,
                Since = entry.Since,
                LastHeartbeat = entry.Heartbeat?.ToValue(),
                LastResponses = ToValues(entry.Responses),
                LastEvents = ToValues(entry.Events),
            };
        }
    }

    private static Dictionary<string, StateValue> ToValues(Dictionary<string, Slot> slots)
    {
        var values = new Dictionary<string, StateValue>(slots.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, Slot> pair in slots) values[pair.Key] = pair.Value.ToValue();
        return values;
    }

    private sealed class Entry
    {
        public DeviceRegistration? Registration;
        public bool IsOnline;
        public DateTimeOffset Since;
        public Slot? Heartbeat;
        public readonly Dictionary<string, Slot> Responses = new(StringComparer.Ordinal);
        public readonly Dictionary<string, Slot> Events = new(StringComparer.Ordinal);
    }

    // A reusable copy of one JSON payload.
    private sealed class Slot
    {
        private byte[] _json = [];
        private int _length;
        private DateTimeOffset _at;

        public void Set(Utf8JsonSlice payload, DateTimeOffset at)
        {
            _at = at;
            if (!payload.IsPresent)
            {
                _length = 0;
                return;
            }
            int length = (int)payload.Length;
            if (_json.Length < length) _json = new byte[Math.Max(length, 256)];
            payload.TryCopyRawTo(_json);
            _length = length;
        }

        public StateValue ToValue()
        {
            if (_length == 0) return new StateValue(_at, default);
            using JsonDocument document = JsonDocument.Parse(_json.AsMemory(0, _length));
            return new StateValue(_at, document.RootElement.Clone());
        }
    }
}
