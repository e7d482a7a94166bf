using NetMQ;
using NetMQ.Sockets;

namespace Meowstik.Agent.Openpilot.Zmq;

/// <summary>
/// Reads openpilot's messages off the device, through openpilot's <c>bridge</c> program (msgq → ZMQ): one SUB socket per
/// service on <c>tcp://&lt;host&gt;:&lt;port&gt;</c>, the port from <see cref="OpenpilotBridge.Port"/> (8023 + FNV-1a-64 of the
/// service name) unless configured. One frame is one serialized <c>Event</c>. Read-only: SUB sockets send nothing.
/// </summary>
public sealed class ZmqOpenpilotSource : IOpenpilotSource
{
    /// <summary>Creates the source.</summary>
    /// <param name="host">The device running <c>bridge</c>, e.g. <c>192.168.43.1</c>, or <c>127.0.0.1</c>.</param>
    /// <param name="services">The services; default <see cref="MsgqOpenpilotSource.DefaultServices"/>.</param>
    /// <param name="ports">Ports by service, overriding the bridge's rule.</param>
    public ZmqOpenpilotSource(string host, IReadOnlyList<string>? services = null, IReadOnlyDictionary<string, int>? ports = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        Host = host;
        Services = services is { Count: > 0 } ? [.. services] : MsgqOpenpilotSource.DefaultServices;
        Endpoints = [.. Services.Select(s => $"tcp://{host}:{(ports is not null && ports.TryGetValue(s, out int p) ? p : OpenpilotBridge.Port(s))}")];
    }

    /// <summary>The bridge's host.</summary>
    public string Host { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Services { get; }

    /// <summary>The endpoint of each service, in the order of <see cref="Services"/>.</summary>
    public IReadOnlyList<string> Endpoints { get; }

    /// <inheritdoc/>
    public string Description => $"zmq bridge {Host}";

    /// <summary>The most messages queued per service before ZMQ drops (the newest matters). Default 16.</summary>
    public int ReceiveHighWatermark { get; init; } = 16;

    /// <inheritdoc/>
    public Task RunAsync(OpenpilotMessageHandler onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onMessage);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(onMessage, cancellationToken);
                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "openpilot zmq",
        };
        thread.Start();
        return done.Task;
    }

    private void Run(OpenpilotMessageHandler onMessage, CancellationToken cancellationToken)
    {
        var sockets = new List<SubscriberSocket>(Services.Count);
        try
        {
            using var poller = new NetMQPoller();
            for (int i = 0; i < Services.Count; i++)
            {
                var socket = new SubscriberSocket();
                sockets.Add(socket);
                socket.Options.ReceiveHighWatermark = ReceiveHighWatermark;
                socket.Options.Linger = TimeSpan.Zero;
                socket.Connect(Endpoints[i]);
                socket.SubscribeToAnyTopic();
                string service = Services[i];
                socket.ReceiveReady += (_, e) =>
                {
                    var msg = default(Msg);
                    msg.InitEmpty();
                    try
                    {
                        while (e.Socket.TryReceive(ref msg, TimeSpan.Zero))
                        {
                            onMessage(service, msg.Slice());
                        }
                    }
                    finally
                    {
                        msg.Close();
                    }
                };
                poller.Add(socket);
            }

            using CancellationTokenRegistration stop = cancellationToken.Register(() => poller.StopAsync());
            if (!cancellationToken.IsCancellationRequested)
            {
                poller.Run();
            }
        }
        finally
        {
            foreach (SubscriberSocket socket in sockets)
            {
                socket.Dispose();
            }
        }
    }
}
