using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Tests.Connections;

/// <summary>
/// Who is closed as a slow consumer, and who is not: a client that never reads is closed after the write deadline (or past
/// the hard cap), while everyone else — including a client that reads slowly — keeps flowing and loses nothing.
/// </summary>
[Collection(nameof(LoadShapedTests))]
public sealed class SlowConsumerTests
{
    [Fact]
    public async Task A_client_that_never_reads_is_closed_after_the_write_deadline_while_ten_pairs_keep_flowing()
    {
        const int Pairs = 10, PerPair = 3_000;
        var logs = new CapturingLoggerProvider();
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureHub = o =>
        {
            o.RateLimitPerSecond = 10_000_000;
            o.RateLimitBurst = 10_000_000;
            o.OutboundBufferBytes = 64 * 1024;
            o.WriteDeadline = TimeSpan.FromSeconds(5);
        }, ConfigureServices = s => s.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)) });
        using var meters = new HubMeterRecorder(host);
        IssuedToken stuckToken = await host.IssueDeviceAsync("stuck-001");
        await using TestMeshClient stuck = await TestMeshClient.ConnectAsync(host.WebSocketUri(token: stuckToken.Secret), receive: false);
        await stuck.SendAsync("""{"type":"register","from":"stuck-001","payload":{"capabilities":[]}}""");
        await Eventually.TrueAsync(() => host.Hub.IsOnline("stuck-001"), "the stuck client registered");

        // A filler keeps pushing 32 KiB events at the stuck client from its own connection; the hub pauses the filler (it is
        // not closed) and the stuck client's socket stops taking bytes.
        await using WireClient filler = await FlowControlTests.ConnectCreatorAsync(host, "filler", (_, _) => ValueTask.CompletedTask);
        string blob = new('x', 32 * 1024);
        using var stopFilling = new CancellationTokenSource();
        Task filling = Task.Run(async () =>
        {
            for (int i = 0; i < 2_000 && !stopFilling.IsCancellationRequested; i++)
            {
                await filler.SendAsync($$$$"""{"id":"fill-{{{{i}}}}","type":"event","to":"stuck-001","payload":{"event":"fill","blob":"{{{{blob}}}}"}}""");
            }
        });

        // Meanwhile ten controller → device pairs run their whole exchange.
        var order = new FlowControlTests.OrderCheck();
        var devices = new List<WireClient>();
        var controllers = new List<WireClient>();
        int answers = 0;
        var allAnswered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int p = 0; p < Pairs; p++)
        {
            devices.Add(await FlowControlTests.ConnectDeviceAsync(host, $"dev-{p}", async (client, message) =>
            {
                if (message.Type == "command") order.Record(message.From!, message.Id!);
                await WireClient.AnswerCommands(client, message);
            }));
            controllers.Add(await FlowControlTests.ConnectCreatorAsync(host, $"controller-{p}", (_, message) =>
            {
                if (message.Type == "response" && Interlocked.Increment(ref answers) == Pairs * PerPair) allAnswered.TrySetResult();
                return ValueTask.CompletedTask;
            }));
        }
        await Task.WhenAll(controllers.Select((controller, p) => Task.Run(async () =>
        {
            for (int i = 0; i < PerPair; i++) await controller.SendAsync(FlowControlTests.Command($"controller-{p}", i, $"dev-{p}"));
        })));
        if (await Task.WhenAny(allAnswered.Task, Task.Delay(TimeSpan.FromSeconds(60))) != allAnswered.Task)
        {
            string state = string.Join("; ", Enumerable.Range(0, Pairs).Select(p =>
                $"pair {p}: device got {order.Count($"controller-{p}")} (read {devices[p].Received}, fault {devices[p].Fault?.Message}, closed {devices[p].Closed.IsCompleted}), " +
                $"controller read {controllers[p].Received} (fault {controllers[p].Fault?.Message}, closed {controllers[p].Closed.IsCompleted})"));
            Assert.Fail($"Only {answers} of {Pairs * PerPair} answers; slow consumers closed {meters.Total("meowstik.hub.slow_consumers")}; pending {host.Hub.PendingRequestCount}; stuck online {host.Hub.IsOnline("stuck-001")}; filler read {filler.Received}; {state}");
        }

        await Eventually.TrueAsync(() => !host.Hub.IsOnline("stuck-001"), "the stuck client was closed as a slow consumer", TimeSpan.FromSeconds(30));
        await stopFilling.CancelAsync();
        await filling.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(_ => { });

        for (int p = 0; p < Pairs; p++) Assert.Equal(PerPair, order.Count($"controller-{p}"));
        Assert.Empty(order.Violations);
        for (int p = 0; p < Pairs; p++)
        {
            Assert.True(host.Hub.IsOnline($"dev-{p}"));
            Assert.True(host.Hub.IsOnline($"controller-{p}"));
        }
        Assert.True(host.Hub.IsOnline("filler"), "the sender to the stuck client is paused, never closed");
        Assert.True(meters["meowstik.hub.slow_consumers[rule=write_deadline]"] == 1,
            "closed by another rule: " + string.Join(" | ", logs.Lines.Where(l => l.Text.Contains("stuck-001", StringComparison.Ordinal)).Select(l => l.Text)));
        Assert.Equal(0, meters["meowstik.hub.slow_consumers[rule=max_pending]"]);
        foreach (WireClient client in devices.Concat(controllers)) await client.DisposeAsync();
    }

    [Fact]
    public async Task A_client_that_reads_slowly_is_never_closed_and_receives_everything()
    {
        const int Count = 3_000;
        await using MeshTestHub host = await MeshTestHub.StartAsync(o =>
        {
            o.RateLimitPerSecond = 10_000_000;
            o.RateLimitBurst = 10_000_000;
            o.OutboundBufferBytes = 16 * 1024;
            o.WriteDeadline = TimeSpan.FromSeconds(5);
        });
        using var meters = new HubMeterRecorder(host);
        var order = new FlowControlTests.OrderCheck();
        int received = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using WireClient slow = await FlowControlTests.ConnectDeviceAsync(host, "slow-001", async (client, message) =>
        {
            if (message.Type != "command") return;
            order.Record(message.From!, message.Id!);
            await WireClient.AnswerCommands(client, message);
            if (Interlocked.Increment(ref received) % 100 == 0) await Task.Delay(20); // about 5,000 messages per second at most
            if (received == Count) all.TrySetResult();
        });
        await using WireClient producer = await FlowControlTests.ConnectCreatorAsync(host, "controller-1", (_, _) => ValueTask.CompletedTask);
        for (int i = 0; i < Count; i++) await producer.SendAsync(FlowControlTests.Command("controller-1", i, "slow-001"));
        await all.Task.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(order.Violations);
        Assert.True(host.Hub.IsOnline("slow-001"));
        Assert.Equal(0, meters.Total("meowstik.hub.slow_consumers"));
        Assert.True(meters.Total("meowstik.hub.backpressure.pauses") > 0, "the fast producer should have been paused");
    }

    [Fact]
    public async Task A_host_burst_past_the_hard_cap_closes_only_the_client_that_does_not_read()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o =>
        {
            o.OutboundBufferBytes = 64 * 1024;
            o.MaxPendingBytes = 1024 * 1024;
            o.WriteDeadline = TimeSpan.FromMinutes(1);
        });
        using var meters = new HubMeterRecorder(host);
        IssuedToken stuckToken = await host.IssueDeviceAsync("stuck-001");
        await using TestMeshClient stuck = await TestMeshClient.ConnectAsync(host.WebSocketUri(token: stuckToken.Secret), receive: false);
        await stuck.SendAsync("""{"type":"register","from":"stuck-001","payload":{"capabilities":[]}}""");
        await Eventually.TrueAsync(() => host.Hub.IsOnline("stuck-001"), "the stuck client registered");

        // The host API has no receive loop to pause: its bursts are bounded by the hard cap alone. 8 MiB at a client that
        // reads nothing passes any socket buffer plus the 1 MiB cap.
        byte[] payload = System.Text.Encoding.UTF8.GetBytes($$$$"""{"event":"bulk","blob":"{{{{new string('y', 32 * 1024)}}}}"}""");
        for (int i = 0; i < 256 && host.Hub.IsOnline("stuck-001"); i++)
        {
            await host.Hub.BroadcastAsync(Protocol.MessageType.Event, payload);
            await Task.Yield();
        }

        await Eventually.TrueAsync(() => !host.Hub.IsOnline("stuck-001"), "the stuck client was closed past the hard cap");
        Assert.Equal(1, meters["meowstik.hub.slow_consumers[rule=max_pending]"]);
        Assert.True(meters["meowstik.hub.messages.dropped[reason=outbound_overflow]"] > 0);
    }
}
