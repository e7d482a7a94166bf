using System.Collections.Concurrent;

namespace Meowstik.LoadTest.Systems;

/// <summary>Counts connections that ended while their client still wanted them (closed by the server, or dropped), by reason.</summary>
internal sealed class ConnectionHealth
{
    private readonly ConcurrentDictionary<string, int> _closes = new(StringComparer.Ordinal);

    public int Total => _closes.Values.Sum();

    public void RecordUnwantedClose(string reason) => _closes.AddOrUpdate(reason, 1, (_, count) => count + 1);

    public void Reset() => _closes.Clear();

    /// <summary>e.g. <c>1013 TryAgainLater: 3</c>; empty when nothing closed.</summary>
    public string Describe() => string.Join("; ", _closes.OrderByDescending(p => p.Value).Select(p => $"{p.Key}: {p.Value}"));
}
