using System.Globalization;
using Meowstik.LoadTest.Hosting;
using NATS.Client.Core;

namespace Meowstik.LoadTest.Systems;

/// <summary>nats-server as a child process (<c>-a 127.0.0.1 -p PORT</c>, defaults otherwise); clients are NATS.Net connections.</summary>
internal sealed class NatsSystem : IMessagingSystem
{
    private readonly string _executable;
    private readonly string _workDirectory;
    private readonly int _port;

    private NatsSystem(ServerProcess server, string executable, string workDirectory, int port)
    {
        Server = server;
        _executable = executable;
        _workDirectory = workDirectory;
        _port = port;
    }

    public string Name => "nats";

    public ServerProcess Server { get; private set; }

    public ConnectionHealth Health { get; } = new();

    public static async Task<NatsSystem> StartAsync(string workDirectory)
    {
        string executable = BrokerInstaller.Locate("nats-server");
        int port = FreePort.Next();
        return new NatsSystem(await StartProcessAsync(executable, workDirectory, port).ConfigureAwait(false), executable, workDirectory, port);
    }

    /// <summary>Client options: NATS.Net's defaults (reconnect 2 s doubling to 5 s, 100 ms jitter), except that a full
    /// subscription channel makes the reader wait instead of dropping messages in the client.</summary>
    public NatsOpts ClientOptions(string clientId) => NatsOpts.Default with
    {
        Url = $"nats://127.0.0.1:{_port}",
        Name = clientId,
        SubPendingChannelFullMode = System.Threading.Channels.BoundedChannelFullMode.Wait,
    };

    public async Task<IMessagingClient> ConnectAsync(string clientId, bool receivesBroadcast, MessageHandler? onMessage, CancellationToken cancellationToken) =>
        await NatsBrokerClient.ConnectAsync(ClientOptions(clientId), clientId, receivesBroadcast, onMessage, Health, cancellationToken).ConfigureAwait(false);

    public async Task RestartServerAsync(CancellationToken cancellationToken)
    {
        await Server.KillAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
        Server = await StartProcessAsync(_executable, _workDirectory, _port).ConfigureAwait(false);
    }

    public Task<string> ServerCountersAsync() => Task.FromResult("");

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private static Task<ServerProcess> StartProcessAsync(string executable, string workDirectory, int port) =>
        ServerProcess.StartAsync(executable, ["-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)], Path.Combine(workDirectory, "nats-server.log"), port);
}
