using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Routing;

/// <summary>The router's hot path (decode, authorize, correlate, stamp-or-forward, queue) allocates nothing in steady state.</summary>
public sealed class RoutingAllocationTests
{
    private const string CommandTemplate =
        """{"id":"c#","type":"command","from":"desktop-001","to":"alexa-001","timestamp":"2026-01-19T12:00:00.000Z","payload":{"action":"speak","params":{"text":"hi"}}}""";

    private const string ResponseTemplate =
        """{"id":"r#","type":"response","from":"alexa-001","to":"desktop-001","correlation_id":"c#","timestamp":"2026-01-19T12:00:00.001Z","payload":{"action":"speak","result":{"ok":true}}}""";

    [Fact]
    public async Task Command_and_response_round_trip_allocates_nothing_after_warm_up()
    {
        string directory = Path.Combine(Path.GetTempPath(), "meowstik-hub-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            await using SqliteMeshStore store = await SqliteMeshStore.OpenAsync(Path.Combine(directory, "hub.db"));
            using var auth = new AuthManager(new SqliteTokenStore(store));
            await using var hub = new MeshHub(auth, new MeshHubOptions { AuditDeliveredMessages = false, OutboundBufferBytes = 256L * 1024 * 1024, MaxPendingBytes = 256L * 1024 * 1024 });
            MeshConnection desktop = await RegisteredAsync(hub, auth, "desktop-001", "alexa-001");
            MeshConnection alexa = await RegisteredAsync(hub, auth, "alexa-001");

            byte[][] commands = new byte[1000][];
            byte[][] responses = new byte[1000][];
            for (int i = 0; i < commands.Length; i++)
            {
                commands[i] = Encoding.UTF8.GetBytes(CommandTemplate.Replace("#", i.ToString()));
                responses[i] = Encoding.UTF8.GetBytes(ResponseTemplate.Replace("#", i.ToString()));
            }

            void RoundTrips()
            {
                for (int i = 0; i < commands.Length; i++)
                {
                    hub.Router.Route(desktop, new ReadOnlySequence<byte>(commands[i]), WebSocketMessageType.Text);
                    Drain(alexa, expect: 1);
                    hub.Router.Route(alexa, new ReadOnlySequence<byte>(responses[i]), WebSocketMessageType.Text);
                    Drain(desktop, expect: 1);
                }
            }

            RoundTrips();
            RoundTrips();
            Assert.Equal(0, hub.PendingRequestCount);

            long allocated = LeastAllocatedOf(RoundTrips);
            Assert.Equal(0, hub.PendingRequestCount);
            Assert.Equal(0, hub.DroppedMessageCount);
            Assert.True(allocated == 0, $"{allocated} bytes allocated for {commands.Length * 2} routed messages");
        }
        finally
        {
            TestDirectory.TryDelete(directory);
        }
    }

    [Fact]
    public async Task Stamped_broadcast_event_allocates_nothing_after_warm_up()
    {
        string directory = Path.Combine(Path.GetTempPath(), "meowstik-hub-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            await using SqliteMeshStore store = await SqliteMeshStore.OpenAsync(Path.Combine(directory, "hub.db"));
            using var auth = new AuthManager(new SqliteTokenStore(store));
            await using var hub = new MeshHub(auth, new MeshHubOptions { AuditDeliveredMessages = false, OutboundBufferBytes = 256L * 1024 * 1024, MaxPendingBytes = 256L * 1024 * 1024 });
            MeshConnection sensor = await RegisteredAsync(hub, auth, "sensor-001");
            var observers = new List<MeshConnection>();
            for (int i = 0; i < 10; i++) observers.Add(await RegisteredAsync(hub, auth, $"panel-{i:00}", "sensor-001"));

            // No from, id or timestamp: the hub stamps all three (one re-encode, shared by the ten recipients).
            byte[] message = Encoding.UTF8.GetBytes("""{"type":"event","to":"broadcast","payload":{"event":"motion","zone":"hall"}}""");
            void Broadcasts()
            {
                for (int i = 0; i < 500; i++)
                {
                    hub.Router.Route(sensor, new ReadOnlySequence<byte>(message), WebSocketMessageType.Text);
                    foreach (MeshConnection observer in observers) Drain(observer, expect: 1);
                }
            }

            Broadcasts();
            Broadcasts();
            long allocated = LeastAllocatedOf(Broadcasts);
            Assert.Equal(0, hub.DroppedMessageCount);
            Assert.True(allocated == 0, $"{allocated} bytes allocated for 500 broadcasts to 10 observers");
        }
        finally
        {
            TestDirectory.TryDelete(directory);
        }
    }

    // The fewest bytes the measured block allocated over three windows. A per-message allocation shows in every window;
    // a one-time lazy allocation that a background thread can trigger at any moment (System.Threading.Lock creates its
    // wait event the first time the timer wheel's tick contends with the routing thread) shows in one window at most.
    private static long LeastAllocatedOf(Action block)
    {
        long least = long.MaxValue;
        for (int window = 0; window < 3 && least != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            block();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }

    private static void Drain(MeshConnection connection, int expect)
    {
        int count = 0;
        while (connection.TryDequeueOutbound(out OutboundFrame message))
        {
            message.Release();
            count++;
        }
        // Not Assert.Equal: it allocates, and this runs inside the measured loop.
        if (count != expect) throw new InvalidOperationException($"Expected {expect} queued message(s), found {count}.");
    }

    private static async Task<MeshConnection> RegisteredAsync(MeshHub hub, AuthManager auth, string deviceId, params string[] grants)
    {
        IssuedToken token = await auth.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = deviceId, DeviceId = deviceId, CommandGrants = grants });
        WebSocket unused = WebSocket.CreateFromStream(new MemoryStream(), new WebSocketCreationOptions { IsServer = true });
        MeshConnection connection = hub.CreateConnection(unused, new MeshConnectionInfo("127.0.0.1"));
        connection.SetRegistered(token.Identity, deviceId, binaryStreams: false);
        hub.Registry.Register(deviceId, connection);
        // Known to the state store too, so last-event / last-response slots are written on the measured path.
        hub.State.SetRegistered(new Meowstik.Hub.Core.DeviceRegistration(deviceId, "test", null, [], [], MeshPathKind.Mesh, "device"), DateTimeOffset.UtcNow);
        return connection;
    }
}
