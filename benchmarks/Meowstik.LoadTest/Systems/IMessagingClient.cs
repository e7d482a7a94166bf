namespace Meowstik.LoadTest.Systems;

/// <summary>One connected client of a system under test: a registered hub device, or a broker connection subscribed to its own inbox.</summary>
internal interface IMessagingClient : IAsyncDisposable
{
    string Id { get; }

    /// <summary>
    /// Sends <paramref name="message"/> (a full mesh envelope) to the client <paramref name="to"/>, or to everyone when it is
    /// <c>broadcast</c>. Not safe for concurrent calls on one client; every scenario sends from one loop per client.
    /// </summary>
    ValueTask SendAsync(string to, byte[] message, CancellationToken cancellationToken);
}
