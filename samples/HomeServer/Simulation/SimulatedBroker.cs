using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using MQTTnet.Server;

namespace Meowstik.Samples.HomeServer.Simulation;

/// <summary>
/// The simulation's MQTT broker on 127.0.0.1 and a free port: a real mosquitto when installed (spawned with a generated
/// configuration, killed at stop), otherwise MQTTnet's in-process server. Started before the agent, so the bridge finds it.
/// </summary>
public sealed class SimulatedBroker : IHostedService, IAsyncDisposable
{
    private readonly string? _mosquitto;
    private readonly bool _preferMosquitto;
    private Process? _process;
    private MqttServer? _server;
    private string? _directory;

    /// <summary>Picks the port and the kind (<paramref name="preferMosquitto"/>: mosquitto if installed).</summary>
    public SimulatedBroker(bool preferMosquitto)
    {
        Port = FreePort();
        _preferMosquitto = preferMosquitto;
        _mosquitto = preferMosquitto ? SampleHost.FindTool("mosquitto") : null;
    }

    /// <summary>The broker's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Whether a real mosquitto is used.</summary>
    public bool IsMosquitto => _mosquitto is not null;

    /// <summary>For the console.</summary>
    public string Description => IsMosquitto
        ? $"simulation: mosquitto ({_mosquitto}) on 127.0.0.1:{Port}"
        : _preferMosquitto
            ? $"simulation: mosquitto is not installed, so an in-process MQTTnet broker runs on 127.0.0.1:{Port}"
            : $"simulation: an in-process MQTTnet broker runs on 127.0.0.1:{Port} (HomeServer:Broker is InProcess)";

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_mosquitto is null)
        {
            var factory = new MqttServerFactory();
            MqttServerOptions options = factory.CreateServerOptionsBuilder()
                .WithDefaultEndpoint()
                .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
                .WithDefaultEndpointPort(Port)
                .Build();
            _server = factory.CreateMqttServer(options);
            await _server.StartAsync();
            return;
        }

        _directory = Directory.CreateTempSubdirectory("meowstik-homeserver-mosquitto-").FullName;
        string config = Path.Combine(_directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"listener {Port} 127.0.0.1\nallow_anonymous true\npersistence false\n"), cancellationToken);
        var info = new ProcessStartInfo(_mosquitto) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        _process = Process.Start(info) ?? throw new InvalidOperationException($"{_mosquitto} did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited at start with code {_process.ExitCode} (port {Port}).");
            }

            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.StopAsync();
            _server.Dispose();
            _server = null;
        }

        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }

            _process.Dispose();
            _process = null;
        }

        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }

            _directory = null;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
