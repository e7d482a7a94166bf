using NetMQ;
using NetMQ.Sockets;
using Meowstik.Agent.Openpilot.Zmq;

namespace Meowstik.Agent.Openpilot.Tests;

/// <summary>The bridge source against a real NetMQ publisher, as openpilot's bridge publishes (one frame = one Event).</summary>
public sealed class ZmqSourceTests
{
    [Theory]
    [InlineData("carState", 9041)]
    [InlineData("selfdriveState", 9797)]
    [InlineData("gpsLocationExternal", 35202)]
    [InlineData("gpsLocation", 15699)]
    [InlineData("driverMonitoringState", 31369)]
    public void The_bridge_port_rule_matches_openpilot(string service, int port)
    {
        Assert.Equal(port, OpenpilotBridge.Port(service));
        Assert.Equal($"tcp://10.0.0.5:{port}", new ZmqOpenpilotSource("10.0.0.5", [service]).Endpoints[0]);
    }

    [Fact]
    public async Task A_NetMQ_publisher_feeds_the_source_and_the_capability_reads_it()
    {
        using var carPub = new PublisherSocket();
        int carPort = carPub.BindRandomPort("tcp://127.0.0.1");
        using var sdPub = new PublisherSocket();
        int sdPort = sdPub.BindRandomPort("tcp://127.0.0.1");
        var source = new ZmqOpenpilotSource("127.0.0.1", ["carState", "selfdriveState"], new Dictionary<string, int> { ["carState"] = carPort, ["selfdriveState"] = sdPort });
        var capability = new OpenpilotCapability(source);
        var received = new List<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var gotBoth = new TaskCompletionSource();
        Task runs = source.RunAsync((service, message) =>
        {
            lock (received)
            {
                received.Add(service);
                Assert.Equal(CapnpError.None, capability.Ingest(service, message));
                if (received.Contains("carState") && received.Contains("selfdriveState"))
                {
                    gotBoth.TrySetResult();
                }
            }
        }, stop.Token);

        // SUB sockets join asynchronously (the slow-joiner): publish until both arrived, as the bridge does at 100 Hz.
        byte[] car = Capnp.Vector("2026-06_carState");
        byte[] selfdrive = Capnp.Vector("2026-06_selfdriveState_engaged");
        while (!gotBoth.Task.IsCompleted)
        {
            stop.Token.ThrowIfCancellationRequested();
            carPub.SendFrame(car);
            sdPub.SendFrame(selfdrive);
            await Task.WhenAny(gotBoth.Task, Task.Delay(20));
        }

        OpenpilotState state = capability.Latest;
        Assert.Equal(65.0, Math.Round(state.SpeedMph!.Value, 2));
        Assert.True(state.Engaged);
        Assert.True(state.Active);
        Assert.Equal("enabled", state.ControlState);
        await stop.CancelAsync();
        await runs.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
