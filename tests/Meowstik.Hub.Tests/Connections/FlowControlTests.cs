using System.Collections.Concurrent;
using System.Text;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;

namespace Meowstik.Hub.Tests.Connections;

/// <summary>
/// Bursts over real sockets: a reading device is never closed and loses nothing; the hub pushes back on the senders instead.
/// Runs alone: it saturates the machine on purpose, which would starve timing-sensitive tests running beside it.
/// </summary>
[Collection(nameof(LoadShapedTests))]
public sealed class FlowControlTests
{
    private static void Unlimited(MeshHubOptions o)
    {
        o.RateLimitPerSecond = 10_000_000;
        o.RateLimitBurst = 10_000_000;
        // A small budget so that backpressure engages many times during the burst.
        o.OutboundBufferBytes = 256 * 1024;
    }

    [Fact]
    public async Task A_burst_of_100000_commands_reaches_a_reading_device_in_order_and_nobody_is_closed()
    {
        const int Count = 100_000;
        await using MeshTestHub host = await MeshTestHub.StartAsync(Unlimited);
        using var meters = new HubMeterRecorder(host);
        var order = new OrderCheck();
        await using WireClient device = await ConnectDeviceAsync(host, "dev-1", async (client, message) =>
        {
            if (message.Type == "command") order.Record(message.From!, message.Id!);
            await WireClient.AnswerCommands(client, message);
        });
        int answers = 0;
        var allAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using WireClient producer = await ConnectCreatorAsync(host, "controller-1", (_, message) =>
        {
            if (message.Type == "response" && Interlocked.Increment(ref answers) == Count) allAnswered.TrySetResult();
            return ValueTask.CompletedTask;
        });

        for (int i = 0; i < Count; i++) await producer.SendAsync(Command("controller-1", i, "dev-1"));
        await allAnswered.Task.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Count, order.Count("controller-1"));
        Assert.Empty(order.Violations);
        Assert.True(host.Hub.IsOnline("dev-1"));
        Assert.True(host.Hub.IsOnline("controller-1"));
        Assert.Equal(0, host.Hub.DroppedMessageCount);
        Assert.Equal(0, meters.Total("meowstik.hub.slow_consumers"));
        Assert.True(meters.Total("meowstik.hub.backpressure.pauses") > 0, "the burst should have engaged flow control at least once");
    }

    [Fact]
    public async Task Fifty_producers_bursting_at_one_device_lose_nothing_and_keep_each_producers_order()
    {
        const int Producers = 50, PerProducer = 2_000;
        await using MeshTestHub host = await MeshTestHub.StartAsync(Unlimited);
        using var meters = new HubMeterRecorder(host);
        var order = new OrderCheck();
        await using WireClient device = await ConnectDeviceAsync(host, "dev-1", async (client, message) =>
        {
            if (message.Type == "command") order.Record(message.From!, message.Id!);
            await WireClient.AnswerCommands(client, message);
        });
        int answers = 0;
        var allAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var producers = new List<WireClient>();
        for (int p = 0; p < Producers; p++)
        {
            producers.Add(await ConnectCreatorAsync(host, $"controller-{p}", (_, message) =>
            {
                if (message.Type == "response" && Interlocked.Increment(ref answers) == Producers * PerProducer) allAnswered.TrySetResult();
                return ValueTask.CompletedTask;
            }));
        }

        await Task.WhenAll(producers.Select((producer, p) => Task.Run(async () =>
        {
            for (int i = 0; i < PerProducer; i++) await producer.SendAsync(Command($"controller-{p}", i, "dev-1"));
        })));
        await allAnswered.Task.WaitAsync(TimeSpan.FromSeconds(60));

        for (int p = 0; p < Producers; p++) Assert.Equal(PerProducer, order.Count($"controller-{p}"));
        Assert.Empty(order.Violations);
        Assert.True(host.Hub.IsOnline("dev-1"));
        Assert.Equal(Producers + 1, host.Hub.ConnectedDeviceCount);
        Assert.Equal(0, host.Hub.DroppedMessageCount);
        Assert.Equal(0, meters.Total("meowstik.hub.slow_consumers"));
        foreach (WireClient producer in producers) await producer.DisposeAsync();
    }

    [Fact]
    public async Task Batched_writes_interleave_correctly_with_ping_pong_control_frames()
    {
        // The client pings every 20 ms and fails the connection without a pong within 2 s, while 20,000 messages stream to it:
        // the hub's pongs must slot in between batched data frames, and every data frame must arrive whole and in order.
        const int Count = 20_000;
        await using MeshTestHub host = await MeshTestHub.StartAsync(Unlimited);
        var order = new OrderCheck();
        int received = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        IssuedToken token = await host.IssueDeviceAsync("dev-1");
        await using WireClient device = await WireClient.ConnectAsync(host, token.Secret, "dev-1", (_, message) =>
        {
            if (message.Type == "event")
            {
                order.Record(message.From!, message.Id!);
                if (Interlocked.Increment(ref received) == Count) all.TrySetResult();
            }
            return ValueTask.CompletedTask;
        }, options =>
        {
            options.KeepAliveInterval = TimeSpan.FromMilliseconds(20);
            options.KeepAliveTimeout = TimeSpan.FromSeconds(2);
        });
        await using WireClient producer = await ConnectCreatorAsync(host, "controller-1", (_, _) => ValueTask.CompletedTask);
        for (int i = 0; i < Count; i++)
        {
            await producer.SendAsync($$$$"""{"id":"controller-1:{{{{i}}}}","type":"event","from":"controller-1","to":"dev-1","timestamp":"2026-01-01T00:00:00.000Z","payload":{"event":"tick","n":{{{{i}}}}}}""");
        }
        await all.Task.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Empty(order.Violations);
        Assert.False(device.Closed.IsCompleted);
    }

    internal static async Task<WireClient> ConnectDeviceAsync(MeshTestHub host, string deviceId, Func<WireClient, WireMessage, ValueTask> onMessage)
    {
        IssuedToken token = await host.IssueDeviceAsync(deviceId);
        return await WireClient.ConnectAsync(host, token.Secret, deviceId, onMessage);
    }

    internal static async Task<WireClient> ConnectCreatorAsync(MeshTestHub host, string clientId, Func<WireClient, WireMessage, ValueTask> onMessage)
    {
        IssuedToken token = await host.IssueTokenAsync(MeshRole.Creator, clientId);
        return await WireClient.ConnectAsync(host, token.Secret, clientId, onMessage);
    }

    // A complete envelope (id, from, timestamp present), so the hub forwards the original bytes.
    internal static byte[] Command(string from, int sequence, string to) => Encoding.UTF8.GetBytes(
        $$$$"""{"id":"{{{{from}}}}:{{{{sequence}}}}","type":"command","from":"{{{{from}}}}","to":"{{{{to}}}}","timestamp":"2026-01-01T00:00:00.000Z","payload":{"action":"ping","params":{"pad":"{{{{Pad}}}}"}}}""");

    private static readonly string Pad = new('x', 120);

    /// <summary>Checks that each sender's sequence numbers (ids <c>sender:n</c>) arrive as 0, 1, 2…</summary>
    internal sealed class OrderCheck
    {
        private readonly ConcurrentDictionary<string, int> _next = new();

        public ConcurrentQueue<string> Violations { get; } = new();

        public int Count(string sender) => _next.GetValueOrDefault(sender);

        public void Record(string sender, string id)
        {
            int sequence = int.Parse(id.AsSpan(id.LastIndexOf(':') + 1), System.Globalization.CultureInfo.InvariantCulture);
            int expected = _next.GetValueOrDefault(sender);
            if (sequence != expected) Violations.Enqueue($"{sender}: expected {expected}, got {sequence}");
            _next[sender] = sequence + 1;
        }
    }
}
