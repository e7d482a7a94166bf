using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Tests.Connection;

/// <summary>The inbound handler on its own: what each received message does, without a socket.</summary>
public sealed class InboundHandlerTests : IDisposable
{
    private readonly PendingRequests _pending = new();
    private readonly Target _target = new();
    private readonly AgentInstruments _instruments = new("phone-001", () => 0, null);
    private readonly InboundHandler _inbound;

    public InboundHandlerTests()
    {
        _inbound = new InboundHandler(_target, _pending, _instruments, TestAgents.Options("phone-001"), TimeProvider.System, NullLogger.Instance);
    }

    public void Dispose() => _instruments.Dispose();

    private void Receive(string json) => _inbound.Handle(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("hub", "rate_limited", "Slow down: 20 commands per second.")]
    [InlineData("hub", "device_offline", "car-001 is not connected.")]
    [InlineData("hub", "forbidden", "This token may not command car-001.")]
    [InlineData("car-001", "unknown_action", "No capability handles 'fly'.")]
    public async Task An_error_carrying_the_requests_id_fails_it_at_once_with_the_code_and_the_plain_message(string from, string code, string message)
    {
        TaskCompletionSource<MeshReply> waiter = _pending.Add("msg_1_req", "car-001");

        Receive($$$"""{"id":"msg_2_err","type":"error","from":"{{{from}}}","to":"phone-001","correlation_id":"msg_1_req","payload":{"code":"{{{code}}}","message":"{{{message}}}"}}""");

        Assert.True(waiter.Task.IsCompleted, "the error must fail the request immediately, not at its timeout");
        MeshRequestException error = await Assert.ThrowsAsync<MeshRequestException>(() => waiter.Task);
        Assert.Equal(code, error.Code);
        Assert.Equal(message, error.Message);
        Assert.Equal("car-001", error.DeviceId);
        Assert.Equal(0, _pending.Count);
        Assert.Empty(_target.Answers);
    }

    [Fact]
    public void An_error_for_no_pending_request_changes_nothing()
    {
        TaskCompletionSource<MeshReply> waiter = _pending.Add("msg_1_req", "car-001");
        Receive("""{"id":"msg_2_err","type":"error","from":"hub","correlation_id":"msg_0_other","payload":{"code":"timeout","message":"late"}}""");
        Receive("""{"id":"msg_3_err","type":"error","from":"hub","payload":{"code":"rate_limited","message":"no correlation"}}""");
        Assert.False(waiter.Task.IsCompleted);
        Assert.Equal(1, _pending.Count);
    }

    [Fact]
    public async Task A_response_completes_its_request_and_an_event_is_delivered()
    {
        TaskCompletionSource<MeshReply> waiter = _pending.Add("msg_1_req", "car-001");
        Receive("""{"id":"msg_2_res","type":"response","from":"car-001","correlation_id":"msg_1_req","payload":{"status":"ok","result":{"eta_minutes":12}}}""");
        MeshReply reply = await waiter.Task;
        Assert.Equal(12, reply.Result.GetProperty("eta_minutes").GetInt32());

        Receive("""{"id":"msg_3_ev","type":"event","from":"car-001","to":"broadcast","payload":{"event":"trip_started","data":{"km":3}}}""");
        MeshEvent e = Assert.Single(_target.Events);
        Assert.Equal(("car-001", "trip_started", 3), (e.From, e.Name, e.Data.GetProperty("km").GetInt32()));
    }

    private sealed class Target : IInboundTarget
    {
        public List<(MessageType Type, string CorrelationId)> Answers { get; } = [];

        public List<MeshEvent> Events { get; } = [];

        public IMeshPublisher Publisher => throw new NotSupportedException();

        public void Answer(MessageType type, string? to, string correlationId, MeshJson payload) => Answers.Add((type, correlationId));

        public void Dispatch(CommandContext context, TimeSpan? requestedTimeout) => throw new NotSupportedException();

        public void Deliver(MeshEvent meshEvent) => Events.Add(meshEvent);

        public void Deliver(MeshStreamChunk chunk) => throw new NotSupportedException();
    }
}
