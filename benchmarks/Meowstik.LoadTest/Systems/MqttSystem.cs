using System.Globalization;
using Meowstik.LoadTest.Hosting;

namespace Meowstik.LoadTest.Systems;

/// <summary>
/// mosquitto as a child process with a minimal configuration (one listener on 127.0.0.1, anonymous clients, no persistence,
/// per-client queues large enough never to drop); clients are MQTTnet connections at QoS 0.
/// </summary>
internal sealed class MqttSystem : IMessagingSystem
{
    private readonly string _executable;
    private readonly string _configPath;
    private readonly string _workDirectory;
    private readonly int _port;

    private MqttSystem(ServerProcess server, string executable, string configPath, string workDirectory, int port)
    {
        Server = server;
        _executable = executable;
        _configPath = configPath;
        _workDirectory = workDirectory;
        _port = port;
    }

    public string Name => "mqtt";

    public ServerProcess Server { get; private set; }

    public ConnectionHealth Health { get; } = new();

    public static async Task<MqttSystem> StartAsync(string workDirectory)
    {
        string executable = BrokerInstaller.Locate("mosquitto");
        int port = FreePort.Next();
        string config = Path.Combine(workDirectory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, string.Join('\n',
            $"listener {port.ToString(CultureInfo.InvariantCulture)} 127.0.0.1",
            "allow_anonymous true",
            "max_connections -1",
            "max_queued_messages 1000000",
            "max_inflight_messages 0",
            "persistence false",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "")).ConfigureAwait(false);
        ServerProcess server = await StartProcessAsync(executable, config, workDirectory, port).ConfigureAwait(false);
        return new MqttSystem(server, executable, config, workDirectory, port);
    }

    public async Task<IMessagingClient> ConnectAsync(string clientId, bool receivesBroadcast, MessageHandler? onMessage, CancellationToken cancellationToken) =>
        await MqttBrokerClient.ConnectAsync(_port, clientId, receivesBroadcast, onMessage, Health, cancellationToken).ConfigureAwait(false);

    public async Task RestartServerAsync(CancellationToken cancellationToken)
    {
        await Server.KillAsync().ConfigureAwait(false);
        await Server.DisposeAsync().ConfigureAwait(false);
        Server = await StartProcessAsync(_executable, _configPath, _workDirectory, _port).ConfigureAwait(false);
    }

    public Task<string> ServerCountersAsync() => Task.FromResult("");

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private static Task<ServerProcess> StartProcessAsync(string executable, string config, string workDirectory, int port) =>
        ServerProcess.StartAsync(executable, ["-c", config], Path.Combine(workDirectory, "mosquitto.log"), port);
}
