using Meowstik.LoadTest.Messages;
using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest.Scenarios;

/// <summary>
/// The receiving side of a point-to-point pair: answers each command with a response of the same size that carries the
/// command's id as <c>correlation_id</c> and the sender's timestamp (on the hub, a real correlated response; on the brokers,
/// the same bytes published to the sender's subject/topic).
/// </summary>
internal sealed class EchoReceiver
{
    private readonly string _senderId;
    private readonly MessageTemplate _response;
    private long _unreadable;

    public EchoReceiver(int pair)
    {
        Id = DeviceNames.PairReceiver(pair);
        _senderId = DeviceNames.PairSender(pair);
        _response = MessageTemplate.Response(Id, _senderId, CommandIdLength(_senderId));
    }

    public string Id { get; }

    /// <summary>Commands whose id was not in the expected form (they are not answered).</summary>
    public long Unreadable => Interlocked.Read(ref _unreadable);

    public async ValueTask OnMessageAsync(IMessagingClient receiver, ReadOnlyMemory<byte> message)
    {
        byte[]? reply = ReplyTo(message.Span);
        if (reply is not null) await receiver.SendAsync(_senderId, reply, CancellationToken.None).ConfigureAwait(false);
    }

    private static int CommandIdLength(string senderId) => senderId.Length + 1 + Digits.Width;

    private byte[]? ReplyTo(ReadOnlySpan<byte> message)
    {
        if (!ReceivedMessage.IsCommand(message)) return null;
        ReadOnlySpan<byte> id = ReceivedMessage.Id(message);
        if (id.Length != CommandIdLength(_senderId))
        {
            Interlocked.Increment(ref _unreadable);
            return null;
        }
        return _response.Render(ReceivedMessage.Sequence(id), ReceivedMessage.Stamp(message), id);
    }
}
