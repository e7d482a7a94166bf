using NATS.Client.Core;

namespace Meowstik.LoadTest.Systems;

/// <summary>
/// One NATS.Net connection subscribed to <c>mesh.&lt;id&gt;</c> (and <c>mesh.broadcast</c>): the NATS equivalent of a
/// registered hub device. Messages are the same envelope bytes the hub carries, as opaque payloads.
/// </summary>
internal sealed class NatsBrokerClient : IMessagingClient
{
    private readonly NatsConnection _connection;
    private readonly List<INatsSub<byte[]>> _subscriptions = [];
    private readonly List<Task> _readers = [];
    private volatile bool _closing;

    private NatsBrokerClient(string id, NatsConnection connection)
    {
        Id = id;
        _connection = connection;
    }

    public string Id { get; }

    public static string SubjectOf(string clientId) => "mesh." + clientId;

    public static async Task<NatsBrokerClient> ConnectAsync(
        NatsOpts options, string clientId, bool receivesBroadcast, MessageHandler? onMessage, ConnectionHealth health, CancellationToken cancellationToken)
    {
        var connection = new NatsConnection(options);
        var client = new NatsBrokerClient(clientId, connection);
        connection.ConnectionDisconnected += (_, args) =>
        {
            if (!client._closing) health.RecordUnwantedClose("disconnected: " + args.Message);
            return ValueTask.CompletedTask;
        };
        try
        {
            await connection.ConnectAsync().ConfigureAwait(false);
            if (onMessage is not null)
            {
                await client.SubscribeAsync(SubjectOf(clientId), onMessage, cancellationToken).ConfigureAwait(false);
                if (receivesBroadcast) await client.SubscribeAsync(SubjectOf("broadcast"), onMessage, cancellationToken).ConfigureAwait(false);
            }
            // A ping round trip: once it returns, the server has processed the subscriptions before it.
            await connection.PingAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask SendAsync(string to, byte[] message, CancellationToken cancellationToken) =>
        _connection.PublishAsync(SubjectOf(to), message, cancellationToken: cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        foreach (INatsSub<byte[]> subscription in _subscriptions) await subscription.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        foreach (Task reader in _readers) await reader.ConfigureAwait(false);
    }

    private async Task SubscribeAsync(string subject, MessageHandler onMessage, CancellationToken cancellationToken)
    {
        INatsSub<byte[]> subscription = await _connection.SubscribeCoreAsync<byte[]>(subject, cancellationToken: cancellationToken).ConfigureAwait(false);
        _subscriptions.Add(subscription);
        _readers.Add(ReadAsync(subscription, onMessage));
    }

    private async Task ReadAsync(INatsSub<byte[]> subscription, MessageHandler onMessage)
    {
        try
        {
            await foreach (NatsMsg<byte[]> message in subscription.Msgs.ReadAllAsync().ConfigureAwait(false))
            {
                if (message.Data is { } data) await onMessage(this, data).ConfigureAwait(false);
            }
        }
        catch (Exception) when (_closing)
        {
            // Closing on purpose.
        }
    }
}
