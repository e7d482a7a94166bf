namespace Meowstik.Hub.Core;

/// <summary>
/// Who may hold a connection: at most <see cref="MeshHubOptions.MaxConnectionsPerAddress"/> open connections per remote
/// address; at most <see cref="MeshHubOptions.MaxUnauthenticatedConnections"/> not-yet-registered connections in all (a small
/// pre-authentication pool, so unauthenticated sockets never crowd out devices) and
/// <see cref="MeshHubOptions.MaxUnauthenticatedConnectionsPerAddress"/> per address; and at most
/// <see cref="MeshHubOptions.MaxConnectionsPerToken"/> registered connections per token. Connections without a known remote
/// address (a host that does not say) are not limited per address.
/// </summary>
internal sealed class ConnectionAdmission
{
    private readonly MeshHubOptions _options;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _openByAddress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _unauthenticatedByAddress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byToken = new(StringComparer.Ordinal);
    private int _unauthenticated;

    public ConnectionAdmission(MeshHubOptions options) => _options = options;

    /// <summary>Not-yet-registered connections right now.</summary>
    public int UnauthenticatedCount
    {
        get
        {
            lock (_lock) return _unauthenticated;
        }
    }

    /// <summary>
    /// Admits a new connection, or says which limit refuses it. A connection that already proved a valid token at the
    /// upgrade (<paramref name="authenticated"/>) takes no place in the pre-authentication pool: a flood of tokenless sockets
    /// cannot keep devices out.
    /// </summary>
    public AdmissionResult TryAdmit(MeshConnection connection, bool authenticated)
    {
        string? address = connection.Info.RemoteAddress;
        lock (_lock)
        {
            if (!authenticated && _unauthenticated >= _options.MaxUnauthenticatedConnections) return AdmissionResult.UnauthenticatedPoolFull;
            if (!string.IsNullOrEmpty(address))
            {
                if (_openByAddress.GetValueOrDefault(address) >= _options.MaxConnectionsPerAddress) return AdmissionResult.AddressLimit;
                if (!authenticated && _unauthenticatedByAddress.GetValueOrDefault(address) >= _options.MaxUnauthenticatedConnectionsPerAddress)
                {
                    return AdmissionResult.UnauthenticatedAddressLimit;
                }
                Increment(_openByAddress, address);
                if (!authenticated) Increment(_unauthenticatedByAddress, address);
            }
            if (!authenticated) _unauthenticated++;
            connection.Admission = authenticated ? AdmissionState.Authenticated : AdmissionState.Unauthenticated;
            return AdmissionResult.Admitted;
        }
    }

    /// <summary>
    /// A connection authenticated and asks to register under <paramref name="tokenId"/>: leaves the pre-authentication pool
    /// and holds one of the token's places; false (nothing changed) when the token has none left.
    /// </summary>
    public bool TryRegister(MeshConnection connection, string tokenId)
    {
        lock (_lock)
        {
            if (connection.Admission is AdmissionState.Registered or AdmissionState.None) return connection.Admission == AdmissionState.Registered;
            if (_byToken.GetValueOrDefault(tokenId) >= _options.MaxConnectionsPerToken) return false;
            Increment(_byToken, tokenId);
            if (connection.Admission == AdmissionState.Unauthenticated) LeaveUnauthenticated(connection);
            connection.HeldTokenId = tokenId;
            connection.Admission = AdmissionState.Registered;
            return true;
        }
    }

    /// <summary>Releases whatever the connection held.</summary>
    public void Release(MeshConnection connection)
    {
        string? address = connection.Info.RemoteAddress;
        lock (_lock)
        {
            switch (connection.Admission)
            {
                case AdmissionState.None:
                    return;
                case AdmissionState.Unauthenticated:
                    LeaveUnauthenticated(connection);
                    break;
                case AdmissionState.Registered when connection.HeldTokenId is { } token:
                    Decrement(_byToken, token);
                    break;
            }
            if (!string.IsNullOrEmpty(address)) Decrement(_openByAddress, address);
            connection.Admission = AdmissionState.None;
        }
    }

    private void LeaveUnauthenticated(MeshConnection connection)
    {
        _unauthenticated--;
        string? address = connection.Info.RemoteAddress;
        if (!string.IsNullOrEmpty(address)) Decrement(_unauthenticatedByAddress, address);
    }

    private static void Increment(Dictionary<string, int> counts, string key) =>
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _)++;

    // Entries at zero are removed, so the maps hold only addresses and tokens with live connections.
    private static void Decrement(Dictionary<string, int> counts, string key)
    {
        if (!counts.TryGetValue(key, out int count)) return;
        if (count <= 1) counts.Remove(key);
        else counts[key] = count - 1;
    }
}
