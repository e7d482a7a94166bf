using System.Collections.Concurrent;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// The embedded <see cref="IStateStore"/>: everything in memory, lost on restart. Writes reuse each value's buffer, so steady
/// traffic (heartbeats, responses, events with the same names) does not allocate; snapshots parse JSON on read.
/// Each device keeps at most <see cref="MaxNamesPerDevice"/> distinct action and event names and at most
/// <see cref="MaxBytesPerDevice"/> bytes of values (further values are not recorded, and counted in
/// <see cref="RefusedValueCount"/>), and at most <see cref="MaxDevices"/> devices are remembered.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    /// <summary>Most distinct action (and event) names kept per device.</summary>
    public const int MaxNamesPerDevice = 256;

    /// <summary>Most devices remembered.</summary>
    public const int MaxDevices = 100_000;

    /// <summary>The default of <see cref="MaxBytesPerDevice"/>: 256 KiB.</summary>
    public const int DefaultMaxBytesPerDevice = 256 * 1024;

    private readonly ConcurrentDictionary<string, Entry> _devices = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private long _refused;

    /// <summary>Creates an empty store keeping at most <paramref name="maxBytesPerDevice"/> bytes of values per device.</summary>
    public InMemoryStateStore(int maxBytesPerDevice = DefaultMaxBytesPerDevice)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytesPerDevice, 1024);
        MaxBytesPerDevice = maxBytesPerDevice;
        _bySpan = _devices.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Bytes of stored values (heartbeat, responses, events) kept per device at most.</summary>
    public int MaxBytesPerDevice { get; }

    /// <summary>Values not recorded because a device's byte or name budget was spent.</summary>
    public long RefusedValueCount => Interlocked.Read(ref _refused);

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
            Store(entry, entry.Heartbeat, payload, at);
        }
    }

    /// <inheritdoc />
    public void SetResponse(string deviceId, ReadOnlySpan<char> action, Utf8JsonSlice payload, DateTimeOffset at)
    {
        if (action.IsEmpty || !_devices.TryGetValue(deviceId, out Entry? entry)) return;
        lock (entry)
        {
            SetNamed(entry, entry.Responses, action, payload, at);
        }
    }

    /// <inheritdoc />
    public void SetEvent(string deviceId, ReadOnlySpan<char> eventName, Utf8JsonSlice payload, DateTimeOffset at)
    {
        if (eventName.IsEmpty || !_devices.TryGetValue(deviceId, out Entry? entry)) return;
        lock (entry)
        {
            SetNamed(entry, entry.Events, eventName, payload, at);
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
    public IReadOnlyList<DeviceState> List() => List(includeValues: true);

    /// <inheritdoc />
    public IReadOnlyList<DeviceState> ListSummaries() => List(includeValues: false);

    private List<DeviceState> List(bool includeValues)
    {
        var result = new List<DeviceState>(_devices.Count);
        foreach (Entry entry in _devices.Values)
        {
            DeviceState? state = Snapshot(entry, includeValues);
            if (state is not null) result.Add(state);
        }
        result.Sort(static (a, b) => string.CompareOrdinal(a.DeviceId, b.DeviceId));
        return result;
    }

    private void SetNamed(Entry entry, Dictionary<string, Slot> slots, ReadOnlySpan<char> name, Utf8JsonSlice payload, DateTimeOffset at)
    {
        var lookup = slots.GetAlternateLookup<ReadOnlySpan<char>>();
        if (!lookup.TryGetValue(name, out Slot? slot))
        {
            if (slots.Count >= MaxNamesPerDevice || entry.Bytes + name.Length * sizeof(char) + payload.Length > MaxBytesPerDevice)
            {
                Interlocked.Increment(ref _refused);
                return;
            }
            slot = new Slot();
            lookup[name] = slot;
            entry.Bytes += name.Length * sizeof(char);
        }
        Store(entry, slot, payload, at);
    }

    // Keeps the device within its byte budget: a value that would pass it is not recorded (the previous one stays).
    private void Store(Entry entry, Slot slot, Utf8JsonSlice payload, DateTimeOffset at)
    {
        long grow = Math.Max(0, (payload.IsPresent ? payload.Length : 0) - slot.Capacity);
        if (entry.Bytes + grow > MaxBytesPerDevice)
        {
            Interlocked.Increment(ref _refused);
            return;
        }
        entry.Bytes += slot.Set(payload, at);
    }

    private static DeviceState? Snapshot(Entry entry, bool includeValues = true)
    {
        lock (entry)
        {
            if (entry.Registration is null) return null;
            if (!includeValues) return new DeviceState { Registration = entry.Registration, IsOnline = entry.IsOnline, Since = entry.Since };
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
        public long Bytes;
        public readonly Dictionary<string, Slot> Responses = new(StringComparer.Ordinal);
        public readonly Dictionary<string, Slot> Events = new(StringComparer.Ordinal);
    }

    // A reusable copy of one JSON payload.
    private sealed class Slot
    {
        private byte[] _json = [];
        private int _length;
        private DateTimeOffset _at;

        public int Capacity => _json.Length;

        /// <summary>Stores the value; returns how many bytes the slot's buffer grew by.</summary>
        public int Set(Utf8JsonSlice payload, DateTimeOffset at)
        {
            _at = at;
            if (!payload.IsPresent)
            {
                _length = 0;
                return 0;
            }
            int length = (int)payload.Length;
            int grew = 0;
            if (_json.Length < length)
            {
                grew = length - _json.Length;
                _json = new byte[length];
            }
            payload.TryCopyRawTo(_json);
            _length = length;
            return grew;
        }

        public StateValue ToValue()
        {
            if (_length == 0) return new StateValue(_at, default);
            using JsonDocument document = JsonDocument.Parse(_json.AsMemory(0, _length));
            return new StateValue(_at, document.RootElement.Clone());
        }
    }
}
