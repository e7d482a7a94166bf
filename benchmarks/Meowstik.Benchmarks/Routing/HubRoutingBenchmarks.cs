using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;

namespace Meowstik.Benchmarks.Routing;

/// <summary>
/// Routing through a real hub on loopback: 100 device pairs sending point-to-point events (each sender to its partner), and
/// one device broadcasting to 100 observers. One operation = one routed message delivery, so BenchmarkDotNet's time per op is
/// the inverse of messages/s and "Allocated" is bytes per routed message for the whole process (hub, Kestrel and the loopback
/// clients together; the hub's own routing path is proven allocation-free by RoutingAllocationTests). One-way latency
/// percentiles are printed at cleanup (log lines starting with <c>// </c>) and appended to <c>hub-routing-latency.txt</c> in
/// the benchmark process's directory. The saturating benchmarks' latencies include queueing (everything is sent at once);
/// the closed-loop ones send the next message only after the previous one arrived.
/// <code>dotnet run -c Release --project benchmarks/Meowstik.Benchmarks -- --filter '*HubRouting*'</code>
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 8, invocationCount: 1)]
public class HubRoutingBenchmarks
{
    private const int Pairs = 100;
    private const int MessagesPerSender = 100;
    private const int BroadcastMessages = 100;
    private const int PointToPointOps = Pairs * MessagesPerSender;
    private const int BroadcastOps = BroadcastMessages * Pairs;
    private const int ClosedLoopMessages = 1000;
    private const int ClosedLoopBroadcasts = 50;

    private LoopbackDevices _mesh = null!;
    private readonly List<LoopbackDevices.Device> _senders = [];
    private readonly List<byte[]> _messages = [];
    private readonly List<int> _offsets = [];
    private LoopbackDevices.Device _broadcaster = null!;
    private byte[] _broadcastMessage = null!;
    private int _broadcastStampOffset;
    private readonly LatencyRecorder _latency = new(1 << 20);
    private long _received;
    private long _expected;
    private TaskCompletionSource _done = new();

    /// <summary>Whether every delivered message also gets an audit row (the default hub setting) — off measures routing alone.</summary>
    [Params(false, true)]
    public bool AuditDelivered { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _mesh = await LoopbackDevices.StartAsync(AuditDelivered);
        for (int i = 0; i < Pairs; i++)
        {
            string sender = $"sender-{i:000}", receiver = $"receiver-{i:000}";
            (byte[] template, int offset) = LoopbackDevices.Template(
                $$$"""{"id":"m-{{{i}}}","type":"event","from":"{{{sender}}}","to":"{{{receiver}}}","timestamp":"2026-01-19T12:00:00.000Z","payload":{"event":"tick","t":0}}""");
            _offsets.Add(offset);
            _messages.Add(template);
            // Receivers observe the broadcaster too (observing needs a grant for device tokens).
            await _mesh.AddDeviceAsync(receiver, ["broadcaster"], OnMessage);
            _senders.Add(await _mesh.AddDeviceAsync(sender, [receiver], onMessage: null));
        }
        (_broadcastMessage, _broadcastStampOffset) = LoopbackDevices.Template(
            """{"id":"b","type":"event","from":"broadcaster","to":"broadcast","timestamp":"2026-01-19T12:00:00.000Z","payload":{"event":"tock","t":0}}""");
        _broadcaster = await _mesh.AddDeviceAsync("broadcaster", [], onMessage: null);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        (double p50, double p99, double max) = _latency.Percentiles();
        string line = $"{DateTime.UtcNow:u} {Current} audit={AuditDelivered}: {_latency.Count} samples, one-way latency p50 {p50:F0} us, p99 {p99:F0} us, max {max:F0} us, drops {_mesh.Hub.DroppedMessageCount}";
        Console.WriteLine("// " + line);
        await File.AppendAllTextAsync("hub-routing-latency.txt", line + Environment.NewLine);
        await _mesh.DisposeAsync();
    }

    private string Current { get; set; } = "";

    [IterationSetup(Target = nameof(PointToPoint))]
    public void BeforePointToPoint() => Arm(PointToPointOps, nameof(PointToPoint));

    [IterationSetup(Target = nameof(Broadcast))]
    public void BeforeBroadcast() => Arm(BroadcastOps, nameof(Broadcast));

    /// <summary>100 senders each send 100 events to their partner concurrently; completes when all 10,000 arrived.</summary>
    [Benchmark(OperationsPerInvoke = PointToPointOps)]
    [BenchmarkCategory("point-to-point")]
    public async Task PointToPoint()
    {
        var sending = new Task[Pairs];
        for (int i = 0; i < Pairs; i++) sending[i] = SendManyAsync(_senders[i], _messages[i], _offsets[i], MessagesPerSender);
        await Task.WhenAll(sending);
        await _done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>One device broadcasts 100 events to 100 observers; completes when all 10,000 deliveries arrived.</summary>
    [Benchmark(OperationsPerInvoke = BroadcastOps)]
    [BenchmarkCategory("broadcast")]
    public async Task Broadcast()
    {
        await SendManyAsync(_broadcaster, _broadcastMessage, _broadcastStampOffset, BroadcastMessages);
        await _done.Task.WaitAsync(TimeSpan.FromSeconds(60));
    }

    [IterationSetup(Target = nameof(PointToPointClosedLoop))]
    public void BeforePointToPointClosedLoop() => Current = nameof(PointToPointClosedLoop);

    [IterationSetup(Target = nameof(BroadcastClosedLoop))]
    public void BeforeBroadcastClosedLoop() => Current = nameof(BroadcastClosedLoop);

    /// <summary>Latency without queueing: one pair, each message sent only after the previous one arrived.</summary>
    [Benchmark(OperationsPerInvoke = ClosedLoopMessages)]
    [BenchmarkCategory("point-to-point")]
    public async Task PointToPointClosedLoop()
    {
        for (int i = 0; i < ClosedLoopMessages; i++)
        {
            Arm(1, Current);
            LoopbackDevices.Stamp(_messages[0], _offsets[0]);
            await _senders[0].SendAsync(_messages[0]);
            await _done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>Latency without queueing: each broadcast sent only after all 100 deliveries of the previous one arrived.</summary>
    [Benchmark(OperationsPerInvoke = ClosedLoopBroadcasts * Pairs)]
    [BenchmarkCategory("broadcast")]
    public async Task BroadcastClosedLoop()
    {
        for (int i = 0; i < ClosedLoopBroadcasts; i++)
        {
            Arm(Pairs, Current);
            LoopbackDevices.Stamp(_broadcastMessage, _broadcastStampOffset);
            await _broadcaster.SendAsync(_broadcastMessage);
            await _done.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    private void Arm(long expected, string name)
    {
        Current = name;
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _expected, expected);
        _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static async Task SendManyAsync(LoopbackDevices.Device sender, byte[] message, int stampOffset, int count)
    {
        for (int i = 0; i < count; i++)
        {
            LoopbackDevices.Stamp(message, stampOffset);
            await sender.SendAsync(message);
        }
    }

    private void OnMessage(ReadOnlySpan<byte> message)
    {
        // Only benchmark messages carry a stamp (receivers also see the hub's presence events).
        int offset = message.IndexOf("\"t\":\""u8);
        if (offset < 0 || message.Length < offset + 5 + LoopbackDevices.StampDigits) return;
        _latency.Record(LoopbackDevices.ReadStamp(message, offset + 5));
        if (Interlocked.Increment(ref _received) == Interlocked.Read(ref _expected)) _done.TrySetResult();
    }
}
