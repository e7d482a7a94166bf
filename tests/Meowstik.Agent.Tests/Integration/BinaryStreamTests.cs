using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Meowstik.Agent.Tests.Integration;

/// <summary>
/// The <c>binary_streams</c> extension end to end through the real hub: an agent that the hub accepted sends stream chunks
/// as binary frames, one that opted out sends base64 JSON, and each receives what the other sent with the same bytes
/// (the hub converts between the forms).
/// </summary>
public sealed class BinaryStreamTests : IAsyncLifetime
{
    private const int ChunkBytes = 30_000;
    private const int Chunks = 10;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly ILoggerFactory _logs;
    private readonly List<(MeshAgent Agent, Task Run, CancellationTokenSource Stop)> _agents = [];
    private MeshTestHub _hub = null!;

    public BinaryStreamTests(ITestOutputHelper output)
    {
        _logs = XunitLoggerProvider.Factory(output);
    }

    public async Task InitializeAsync() => _hub = await MeshTestHub.StartAsync(new MeshTestHubOptions
    {
        ConfigureServices = services => services.AddSingleton(_logs),
    });

    public async Task DisposeAsync()
    {
        foreach ((MeshAgent agent, Task run, CancellationTokenSource stop) in _agents)
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
            await agent.DisposeAsync();
            stop.Dispose();
        }

        await _hub.DisposeAsync();
    }

    [Fact]
    public async Task A_binary_sender_reaches_a_base64_only_subscriber_with_the_same_bytes()
    {
        MeshAgent camera = await StartAsync("dashcam-001", await _hub.IssueDeviceTokenAsync("dashcam-001"), binary: true);
        MeshAgent viewer = await StartAsync("phone-001", await _hub.IssueCreatorTokenAsync("Jason"), binary: false);
        Assert.True(camera.UsesBinaryStreams);
        Assert.False(viewer.UsesBinaryStreams);

        long sentBytes = await StreamAsync(camera, viewer);

        // Raw bytes plus a small JSON header per frame: far below what base64 (4/3 of the data) would have taken.
        Assert.InRange(sentBytes, Chunks * ChunkBytes, Chunks * (ChunkBytes + 1_000));
    }

    [Fact]
    public async Task A_base64_sender_reaches_a_binary_subscriber_with_the_same_bytes()
    {
        MeshAgent camera = await StartAsync("dashcam-001", await _hub.IssueDeviceTokenAsync("dashcam-001"), binary: false);
        MeshAgent viewer = await StartAsync("phone-001", await _hub.IssueCreatorTokenAsync("Jason"), binary: true);
        Assert.False(camera.UsesBinaryStreams);
        Assert.True(viewer.UsesBinaryStreams);

        long sentBytes = await StreamAsync(camera, viewer);

        // The JSON form: base64 of the data, a third larger.
        Assert.InRange(sentBytes, Chunks * ChunkBytes * 4 / 3, Chunks * (ChunkBytes * 4 / 3 + 1_000));
    }

    [Fact]
    public async Task Each_lease_is_released_once_whether_its_chunk_was_sent_or_dropped()
    {
        MeshAgent camera = await StartAsync("dashcam-001", await _hub.IssueDeviceTokenAsync("dashcam-001"), binary: true);
        var leases = Enumerable.Range(0, 5).Select(_ => new CountingLease()).ToArray();
        for (int i = 0; i < leases.Length; i++)
        {
            Assert.True(camera.PublishStreamChunk(new OutgoingStreamChunk { StreamType = "video", FrameIndex = i, Data = new byte[64], Lease = leases[i] }));
        }

        await WaitUntilAsync(() => leases.All(l => l.Disposals == 1));

        // Stopped: the chunk is refused and its lease released at once.
        (MeshAgent agent, Task run, CancellationTokenSource stop) = _agents[0];
        await stop.CancelAsync();
        await run.WaitAsync(Wait);
        var late = new CountingLease();
        Assert.False(camera.PublishStreamChunk(new OutgoingStreamChunk { StreamType = "video", Data = new byte[64], Lease = late }));
        Assert.Equal(1, late.Disposals);
        Assert.All(leases, l => Assert.Equal(1, l.Disposals));
    }

    private async Task<long> StreamAsync(MeshAgent camera, MeshAgent viewer)
    {
        // Audio, not video: the hub keeps every audio chunk (a bounded queue) but only the newest video frame of a backlog.
        using MeshSubscription<MeshStreamChunk> frames = viewer.SubscribeStream("dashcam-001", "audio");
        MeshReply subscribed = await viewer.SendCommandAsync(DeviceId.Hub, "subscribe_stream",
            MeshJson.Object(w => { w.WriteString("device_id", "dashcam-001"); w.WriteString("stream_type", "audio"); }), Wait);
        Assert.True(subscribed.Result.GetProperty("subscribed").GetBoolean(), subscribed.Payload.GetRawText());

        byte[][] sent = Enumerable.Range(0, Chunks).Select(i =>
        {
            byte[] data = new byte[ChunkBytes];
            new Random(i).NextBytes(data);
            return data;
        }).ToArray();

        using var bytesIn = new HubBytesReceived(_hub.Services.GetRequiredService<IMeterFactory>());
        for (int i = 0; i < Chunks; i++)
        {
            Assert.True(camera.PublishStreamChunk(new OutgoingStreamChunk
            {
                StreamType = "audio", Codec = "opus", SampleRate = 48_000, Channels = 2, ChunkIndex = i, Data = sent[i],
            }));
        }

        var received = new List<MeshStreamChunk>();
        using var timeout = new CancellationTokenSource(Wait);
        await foreach (MeshStreamChunk chunk in frames.WithCancellation(timeout.Token))
        {
            received.Add(chunk);
            if (received.Count == Chunks)
            {
                break;
            }
        }

        Assert.Equal(Enumerable.Range(0, Chunks).Select(i => (long)i), received.Select(c => c.Index));
        for (int i = 0; i < Chunks; i++)
        {
            Assert.Equal(("dashcam-001", "audio", "opus"), (received[i].From, received[i].StreamType, received[i].Codec));
            Assert.Equal(48_000, received[i].Metadata.GetProperty("sample_rate").GetInt32());
            Assert.Equal(2, received[i].Metadata.GetProperty("channels").GetInt32());
            Assert.True(sent[i].AsSpan().SequenceEqual(received[i].Data.Span), $"frame {i} differs");
        }

        return bytesIn.Total;
    }

    private async Task<MeshAgent> StartAsync(string deviceId, string token, bool binary)
    {
        var agent = new MeshAgent(new MeshAgentOptions { HubUri = _hub.MeshUri, DeviceId = deviceId, Token = token, BinaryStreams = binary }, [], _logs);
        var stop = new CancellationTokenSource();
        _agents.Add((agent, agent.RunAsync(stop.Token), stop));
        await agent.WaitUntilOnlineAsync().WaitAsync(Wait);
        return agent;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Wait);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    private sealed class CountingLease : IDisposable
    {
        private int _disposals;

        public int Disposals => Volatile.Read(ref _disposals);

        public void Dispose() => Interlocked.Increment(ref _disposals);
    }

    /// <summary>Sums <c>meowstik.hub.bytes.received</c> of this test's hub only (its meter comes from the hub's own factory).</summary>
    private sealed class HubBytesReceived : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public HubBytesReceived(IMeterFactory hubMeters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "meowstik.hub.bytes.received" && ReferenceEquals(instrument.Meter.Scope, hubMeters))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }
}
