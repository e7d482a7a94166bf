using System.Collections.Concurrent;
using System.Text;
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>
/// The connected devices of this hub node, by device id. Lookups take the id as UTF-8 straight from the envelope and do not
/// allocate (the id is widened into a stack buffer and looked up through the dictionary's span-keyed alternate lookup).
/// Broadcast iterates an immutable snapshot array that is rebuilt only when a device joins or leaves.
/// </summary>
internal sealed class DeviceRegistry
{
    private readonly ConcurrentDictionary<string, MeshConnection> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MeshConnection>.AlternateLookup<ReadOnlySpan<char>> _byIdSpan;
    private readonly Lock _writeLock = new();
    private MeshConnection[] _snapshot = [];

    public DeviceRegistry() => _byIdSpan = _byId.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Registered connections right now (an immutable array; safe to iterate while devices come and go).</summary>
    public MeshConnection[] Snapshot => Volatile.Read(ref _snapshot);

    public int Count => _byId.Count;

    /// <summary>Adds <paramref name="connection"/> under <paramref name="deviceId"/>; returns the connection it replaced, if any.</summary>
    public MeshConnection? Register(string deviceId, MeshConnection connection)
    {
        lock (_writeLock)
        {
            _byId.TryGetValue(deviceId, out MeshConnection? previous);
            _byId[deviceId] = connection;
            Rebuild();
            return ReferenceEquals(previous, connection) ? null : previous;
        }
    }

    /// <summary>Removes <paramref name="deviceId"/> only if it still maps to <paramref name="connection"/> (a replacement keeps its entry).</summary>
    public bool Remove(string deviceId, MeshConnection connection)
    {
        lock (_writeLock)
        {
            if (!_byId.TryRemove(new KeyValuePair<string, MeshConnection>(deviceId, connection))) return false;
            Rebuild();
            return true;
        }
    }

    public bool TryGet(string deviceId, out MeshConnection connection) => _byId.TryGetValue(deviceId, out connection!);

    public bool TryGet(ReadOnlySpan<char> deviceId, out MeshConnection connection) => _byIdSpan.TryGetValue(deviceId, out connection!);

    /// <summary>Looks up a UTF-8 device id without allocating; false for anything that is not a valid id.</summary>
    public bool TryGet(ReadOnlySpan<byte> utf8DeviceId, out MeshConnection connection)
    {
        connection = null!;
        if (utf8DeviceId.Length is 0 or > DeviceId.MaxLength) return false;
        Span<char> chars = stackalloc char[DeviceId.MaxLength];
        if (Ascii.ToUtf16(utf8DeviceId, chars, out int written) != System.Buffers.OperationStatus.Done) return false;
        return _byIdSpan.TryGetValue(chars[..written], out connection!);
    }

    private void Rebuild() => Volatile.Write(ref _snapshot, _byId.Values.ToArray());
}
