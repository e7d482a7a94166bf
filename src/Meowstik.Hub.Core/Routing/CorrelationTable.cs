using System.Runtime.InteropServices;

namespace Meowstik.Hub.Core;

/// <summary>
/// Pending commands and queries by request id (the <c>correlation_id</c> their response will carry). Lookup takes the UTF-8 id
/// straight from the envelope; entries are pooled, so a request/response round trip does not allocate. Deadlines live on the
/// hub's <see cref="TimerWheel"/>; whoever removes an entry (response, timeout, cancellation, disconnect) completes it.
/// <para>
/// Budgets: requests from connections are bounded per connection, per token and across the hub, so no identity can fill the
/// table for everyone else; the host API's requests are not counted against them.
/// </para>
/// </summary>
internal sealed class CorrelationTable
{
    private const int PoolLimit = 4096;

    private readonly HashSet<PendingRequest> _pending = new(IdComparer.Instance);
    private readonly HashSet<PendingRequest>.AlternateLookup<ReadOnlySpan<byte>> _byId;
    private readonly Stack<PendingRequest> _pool = new();
    private readonly Lock _lock = new();
    private readonly TimerWheel _wheel;
    private readonly int _capacity;
    private readonly int _perConnection;
    private readonly int _perToken;
    private readonly Dictionary<string, int> _byToken = new(StringComparer.Ordinal);
    private readonly Action<PendingRequest> _onTimeout;
    private int _fromConnections;

    public CorrelationTable(TimerWheel wheel, int capacity, int perConnection, int perToken, Action<PendingRequest> onTimeout)
    {
        _wheel = wheel;
        _capacity = capacity;
        _perConnection = perConnection;
        _perToken = perToken;
        _onTimeout = onTimeout;
        _byId = _pending.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public int Count
    {
        get
        {
            lock (_lock) return _pending.Count;
        }
    }

    public PendingRequest Rent()
    {
        lock (_lock)
        {
            if (_pool.TryPop(out PendingRequest? request)) return request;
        }
        return new PendingRequest(this, pooled: true);
    }

    /// <summary>Returns an entry that was never added, or whose completion is done.</summary>
    public void Return(PendingRequest request)
    {
        if (!request.IsPooled) return;
        request.Reset();
        lock (_lock)
        {
            if (_pool.Count < PoolLimit) _pool.Push(request);
        }
    }

    /// <summary>
    /// Adds and schedules a request. Fails when its id is already pending, or (for a connection's request) when the hub, its
    /// connection or its token has no budget left.
    /// </summary>
    public AddResult TryAdd(PendingRequest request, long dueTimestamp)
    {
        lock (_lock)
        {
            MeshConnection? requester = request.Requester;
            string? token = requester?.Identity?.TokenId;
            if (requester is not null)
            {
                if (_fromConnections >= _capacity) return AddResult.Full;
                if (requester.PendingRequestCount >= _perConnection) return AddResult.ConnectionBudget;
                if (token is not null && _byToken.GetValueOrDefault(token) >= _perToken) return AddResult.TokenBudget;
            }
            if (!_pending.Add(request)) return AddResult.Duplicate;
            request.InTable = true;
            if (requester is not null)
            {
                _fromConnections++;
                requester.PendingRequestCount++;
                if (token is not null) CollectionsMarshal.GetValueRefOrAddDefault(_byToken, token, out _)++;
            }
        }
        _wheel.Schedule(request, dueTimestamp);
        return AddResult.Added;
    }

    /// <summary>
    /// Finds the request a response answers and copies out where the response goes. A point-to-point request is removed and
    /// handed back in <paramref name="request"/> (the caller returns it to the pool); a broadcast request stays until it expires
    /// (<paramref name="request"/> is null). Only the device the request went to may answer it: another responder gets
    /// <see cref="TakeResult.WrongResponder"/> and the request stays pending.
    /// </summary>
    public TakeResult TryTake(ReadOnlySpan<byte> correlationId, MeshConnection responder, out RequestOrigin origin, out PendingRequest? request)
    {
        origin = default;
        request = null;
        PendingRequest? found;
        lock (_lock)
        {
            if (!_byId.TryGetValue(correlationId, out found)) return TakeResult.NotFound;
            if (found.IsBroadcast)
            {
                if (ReferenceEquals(found.Requester, responder)) return TakeResult.WrongResponder;
                origin = new RequestOrigin(found.Requester, found.HostWaiter, found.Action, found.StartTimestamp);
                return TakeResult.Taken;
            }
            if (!ReferenceEquals(found.Target, responder)) return TakeResult.WrongResponder;
            RemoveLocked(found);
            origin = new RequestOrigin(found.Requester, found.HostWaiter, found.Action, found.StartTimestamp);
        }
        _wheel.Cancel(found);
        request = found;
        return TakeResult.Taken;
    }

    /// <summary>Removes a request (cancellation); true when this call removed it and so owns its completion.</summary>
    public bool TryRemove(PendingRequest request)
    {
        lock (_lock)
        {
            if (!request.InTable) return false;
            RemoveLocked(request);
        }
        _wheel.Cancel(request);
        return true;
    }

    /// <summary>Removes every request sent to <paramref name="target"/> (it disconnected); the caller completes them.</summary>
    public List<PendingRequest> TakeAllFor(MeshConnection target)
    {
        var taken = new List<PendingRequest>();
        lock (_lock)
        {
            foreach (PendingRequest request in _pending)
            {
                if (ReferenceEquals(request.Target, target)) taken.Add(request);
            }
            foreach (PendingRequest request in taken) RemoveLocked(request);
        }
        foreach (PendingRequest request in taken) _wheel.Cancel(request);
        return taken;
    }

    // Called by the wheel (outside its lock) when the deadline passed.
    internal void Expire(PendingRequest request, long nowTimestamp)
    {
        lock (_lock)
        {
            // The entry may have been answered and reused for a later request since the wheel picked it.
            if (!request.InTable || request.DueTimestamp > nowTimestamp) return;
            RemoveLocked(request);
        }
        _onTimeout(request);
    }

    private void RemoveLocked(PendingRequest request)
    {
        _pending.Remove(request);
        request.InTable = false;
        if (request.Requester is not { } requester) return;
        _fromConnections--;
        requester.PendingRequestCount--;
        if (requester.Identity?.TokenId is { } token && _byToken.TryGetValue(token, out int count))
        {
            if (count <= 1) _byToken.Remove(token);
            else _byToken[token] = count - 1;
        }
    }

    /// <summary>
    /// Added; Duplicate (the id is pending); Full (the hub's budget for connections' requests is spent); ConnectionBudget /
    /// TokenBudget (the requester's own budget is spent).
    /// </summary>
    internal enum AddResult { Added, Duplicate, Full, ConnectionBudget, TokenBudget }

    internal enum TakeResult { Taken, NotFound, WrongResponder }

    private sealed class IdComparer : IEqualityComparer<PendingRequest>, IAlternateEqualityComparer<ReadOnlySpan<byte>, PendingRequest>
    {
        public static readonly IdComparer Instance = new();

        public bool Equals(PendingRequest? x, PendingRequest? y) =>
            ReferenceEquals(x, y) || (x is not null && y is not null && x.Id.SequenceEqual(y.Id));

        public int GetHashCode(PendingRequest obj) => Hash(obj.Id);

        public bool Equals(ReadOnlySpan<byte> alternate, PendingRequest other) => alternate.SequenceEqual(other.Id);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        // Lookups only: entries are always added as PendingRequest instances.
        public PendingRequest Create(ReadOnlySpan<byte> alternate) =>
            throw new InvalidOperationException("Pending requests are added as entries, never created from an id.");

        private static int Hash(ReadOnlySpan<byte> id)
        {
            var hash = new HashCode();
            hash.AddBytes(id);
            return hash.ToHashCode();
        }
    }
}
