using Meowstik.LoadTest.Messages;
using Meowstik.LoadTest.Systems;
using NATS.Client.Core;

namespace Meowstik.LoadTest.Scenarios;

/// <summary>NATS.Net connections, each subscribed to its own subject, reconnecting with the client's built-in policy.</summary>
internal sealed class NatsFleet : IReconnectingFleet
{
    private readonly NatsConnection[] _connections;
    private readonly int[] _wentOffline;

    private NatsFleet(NatsConnection[] connections, string policy)
    {
        _connections = connections;
        _wentOffline = new int[connections.Length];
        Policy = policy;
        for (int i = 0; i < connections.Length; i++)
        {
            int index = i;
            connections[i].ConnectionDisconnected += (_, _) =>
            {
                Volatile.Write(ref _wentOffline[index], 1);
                return ValueTask.CompletedTask;
            };
        }
    }

    public int Count => _connections.Length;

    public string Policy { get; }

    public static Task<NatsFleet> WithDefaultBackoffAsync(NatsSystem nats, int count, CancellationToken cancellationToken) =>
        StartAsync(nats, count, o => o, "NATS.Net default: 2 s doubling to 5 s, 100 ms jitter", cancellationToken);

    public static Task<NatsFleet> WithTunedBackoffAsync(NatsSystem nats, int count, CancellationToken cancellationToken) =>
        StartAsync(nats, count, o => o with { ReconnectWaitMin = TimeSpan.FromMilliseconds(250), ReconnectWaitMax = TimeSpan.FromSeconds(5) },
            "tuned: 250 ms doubling to 5 s, 100 ms jitter", cancellationToken);

    public int OnlineCount() => _connections.Count(c => c.ConnectionState == NatsConnectionState.Open);

    public void ArmRestart() => Array.Clear(_wentOffline);

    public int ReconnectedCount()
    {
        int count = 0;
        for (int i = 0; i < _connections.Length; i++)
        {
            if (Volatile.Read(ref _wentOffline[i]) == 1 && _connections[i].ConnectionState == NatsConnectionState.Open) count++;
        }
        return count;
    }

    public async ValueTask DisposeAsync() =>
        await Parallel.ForEachAsync(_connections, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (c, _) => await c.DisposeAsync().ConfigureAwait(false)).ConfigureAwait(false);

    private static async Task<NatsFleet> StartAsync(NatsSystem nats, int count, Func<NatsOpts, NatsOpts> tune, string policy, CancellationToken cancellationToken)
    {
        var connections = new NatsConnection[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            string id = DeviceNames.Agent(i);
            var connection = new NatsConnection(tune(nats.ClientOptions(id)));
            await connection.ConnectAsync().ConfigureAwait(false);
            // Like a device's inbox; NATS.Net re-subscribes it after a reconnect.
            await connection.SubscribeCoreAsync<byte[]>(NatsBrokerClient.SubjectOf(id), cancellationToken: ct).ConfigureAwait(false);
            connections[i] = connection;
        }).ConfigureAwait(false);
        return new NatsFleet(connections, policy);
    }
}
