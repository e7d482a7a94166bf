using Meowstik.LoadTest.Measuring;
using Meowstik.LoadTest.Messages;
using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest.Scenarios;

/// <summary>
/// The sending side of a point-to-point pair: keeps up to <c>window</c> commands in flight to its receiver, and takes a
/// credit back for each response. Counts what it sent, what was answered, error replies (hub) and round-trip latency.
/// </summary>
internal sealed class PairSender
{
    private readonly string _receiverId;
    private readonly MessageTemplate _command;
    private readonly CreditWindow _window;
    private readonly MeasurementPhase _phase;
    private readonly Dictionary<string, int> _errors = new(StringComparer.Ordinal);
    private long _sent;
    private long _answered;
    private long _measuredAnswers;

    private PairSender(string id, string receiverId, int window, MeasurementPhase phase)
    {
        Id = id;
        _receiverId = receiverId;
        _command = MessageTemplate.Command(id, receiverId);
        _window = new CreditWindow(window);
        _phase = phase;
    }

    public string Id { get; }

    public IMessagingClient? Client { get; private set; }

    public LatencySamples RoundTrips { get; } = new();

    public long Sent => Interlocked.Read(ref _sent);

    public long Answered => Interlocked.Read(ref _answered);

    public long MeasuredAnswers => Interlocked.Read(ref _measuredAnswers);

    public long ErrorReplies { get; private set; }

    /// <summary>The exception that stopped the send loop, if one did.</summary>
    public string? SendFailure { get; private set; }

    public IReadOnlyDictionary<string, int> Errors => _errors;

    public static async Task<PairSender> ConnectAsync(IMessagingSystem system, int pair, int window, MeasurementPhase phase, CancellationToken cancellationToken)
    {
        var sender = new PairSender(DeviceNames.PairSender(pair), DeviceNames.PairReceiver(pair), window, phase);
        sender.Client = await system.ConnectAsync(sender.Id, receivesBroadcast: false, sender.OnMessageAsync, cancellationToken).ConfigureAwait(false);
        return sender;
    }

    /// <summary>Sends until <paramref name="stop"/> fires, never more than the window ahead of the responses.</summary>
    public async Task SendLoopAsync(CancellationToken stop)
    {
        IMessagingClient client = Client ?? throw new InvalidOperationException("Not connected.");
        long sequence = 0;
        try
        {
            while (await _window.TakeAsync(1, stop).ConfigureAwait(false))
            {
                byte[] message = _command.Render(++sequence, System.Diagnostics.Stopwatch.GetTimestamp());
                await client.SendAsync(_receiverId, message, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _sent);
            }
        }
        catch (Exception ex)
        {
            SendFailure = $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    private ValueTask OnMessageAsync(IMessagingClient receiver, ReadOnlyMemory<byte> message)
    {
        ReadOnlySpan<byte> bytes = message.Span;
        if (ReceivedMessage.IsResponse(bytes))
        {
            Interlocked.Increment(ref _answered);
            if (_phase.Active)
            {
                Interlocked.Increment(ref _measuredAnswers);
                RoundTrips.RecordSince(ReceivedMessage.Stamp(bytes));
            }
            _window.Release(1);
        }
        else if (ReceivedMessage.IsError(bytes))
        {
            // An error reply means the command was not delivered; its credit is not returned.
            ErrorReplies++;
            string code = ReceivedMessage.ErrorCode(bytes);
            _errors[code] = _errors.GetValueOrDefault(code) + 1;
        }
        return ValueTask.CompletedTask;
    }
}
