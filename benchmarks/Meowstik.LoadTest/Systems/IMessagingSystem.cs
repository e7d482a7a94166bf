namespace Meowstik.LoadTest.Systems;

/// <summary>A system under test: a server running in its own process, and the way to connect clients to it.</summary>
internal interface IMessagingSystem : IAsyncDisposable
{
    /// <summary><c>hub</c>, <c>nats</c> or <c>mqtt</c>.</summary>
    string Name { get; }

    /// <summary>The server process (for its memory).</summary>
    Hosting.ServerProcess Server { get; }

    /// <summary>Connections the server closed (or lost) while the client still wanted them, by reason.</summary>
    ConnectionHealth Health { get; }

    /// <summary>
    /// Connects a client and subscribes it to the messages addressed to <paramref name="clientId"/> (and to broadcasts when
    /// <paramref name="receivesBroadcast"/>); on the hub, registers the device. Returns once messages can flow.
    /// </summary>
    Task<IMessagingClient> ConnectAsync(string clientId, bool receivesBroadcast, MessageHandler? onMessage, CancellationToken cancellationToken);

    /// <summary>Kills the server (SIGKILL) and starts it again on the same port with the same state (the hub: the same database).</summary>
    Task RestartServerAsync(CancellationToken cancellationToken);

    /// <summary>What the server itself counted (the hub's drop and routing counters); empty when the server has nothing to say.</summary>
    Task<string> ServerCountersAsync();
}
