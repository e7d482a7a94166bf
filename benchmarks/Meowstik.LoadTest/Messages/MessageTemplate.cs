using System.Globalization;
using System.Text;

namespace Meowstik.LoadTest.Messages;

/// <summary>
/// A pre-encoded mesh envelope of <see cref="TargetSize"/> bytes with fixed-width slots for a sequence number, a
/// <see cref="System.Diagnostics.Stopwatch"/> timestamp and (for responses) the correlation id. Rendering copies the template
/// and patches the slots: no JSON encoding on the send path. The same bytes go to all three systems (the brokers carry them
/// as opaque payloads), so every system moves the same number of bytes per message.
/// </summary>
internal sealed class MessageTemplate
{
    /// <summary>Size of every load-test message: a typical command envelope.</summary>
    public const int TargetSize = 330;

    private static readonly string Timestamp = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    private static readonly string SequenceSlot = new('S', Digits.Width);
    private static readonly string StampSlot = new('T', Digits.Width);

    private readonly byte[] _bytes;
    private readonly int _sequenceOffset;
    private readonly int _stampOffset;
    private readonly int _correlationOffset;
    private readonly int _correlationLength;

    private MessageTemplate(string json, int correlationLength)
    {
        _bytes = Encoding.UTF8.GetBytes(json);
        _sequenceOffset = Offset(SequenceSlot);
        _stampOffset = Offset(StampSlot);
        _correlationLength = correlationLength;
        _correlationOffset = correlationLength > 0 ? Offset(new string('C', correlationLength)) : -1;
    }

    public int Length => _bytes.Length;

    /// <summary>A command from <paramref name="from"/> to <paramref name="to"/> (its id is <c>&lt;from&gt;-&lt;sequence&gt;</c>).</summary>
    public static MessageTemplate Command(string from, string to) => Padded(pad =>
        $$$$"""{"id":"{{{{from}}}}-{{{{SequenceSlot}}}}","type":"command","from":"{{{{from}}}}","to":"{{{{to}}}}","timestamp":"{{{{Timestamp}}}}","payload":{"action":"speak","params":{"text":"{{{{pad}}}}","volume":80,"t":"{{{{StampSlot}}}}"}}}""");

    /// <summary>The response to a command whose id has <paramref name="correlationLength"/> bytes.</summary>
    public static MessageTemplate Response(string from, string to, int correlationLength)
    {
        string correlation = new('C', correlationLength);
        return Padded(pad =>
            $$$$"""{"id":"{{{{from}}}}-{{{{SequenceSlot}}}}","type":"response","from":"{{{{from}}}}","to":"{{{{to}}}}","correlation_id":"{{{{correlation}}}}","timestamp":"{{{{Timestamp}}}}","payload":{"status":"ok","text":"{{{{pad}}}}","t":"{{{{StampSlot}}}}"}}""",
            correlationLength);
    }

    /// <summary>An event to everyone (<c>to: broadcast</c>).</summary>
    public static MessageTemplate BroadcastEvent(string from) => Padded(pad =>
        $$$$"""{"id":"{{{{from}}}}-{{{{SequenceSlot}}}}","type":"event","from":"{{{{from}}}}","to":"broadcast","timestamp":"{{{{Timestamp}}}}","payload":{"event":"tick","data":{"text":"{{{{pad}}}}","t":"{{{{StampSlot}}}}"}}}""");

    /// <summary>A fresh copy with the slots filled (fresh, because some clients keep the buffer after their send returns).</summary>
    public byte[] Render(long sequence, long stamp, ReadOnlySpan<byte> correlationId = default)
    {
        byte[] message = (byte[])_bytes.Clone();
        Digits.Write(sequence, message.AsSpan(_sequenceOffset, Digits.Width));
        Digits.Write(stamp, message.AsSpan(_stampOffset, Digits.Width));
        if (_correlationOffset >= 0)
        {
            if (correlationId.Length != _correlationLength) throw new ArgumentException("The correlation id has an unexpected length.", nameof(correlationId));
            correlationId.CopyTo(message.AsSpan(_correlationOffset));
        }
        return message;
    }

    private static MessageTemplate Padded(Func<string, string> json, int correlationLength = 0)
    {
        int unpadded = Encoding.UTF8.GetByteCount(json(""));
        return new MessageTemplate(json(new string('x', Math.Max(0, TargetSize - unpadded))), correlationLength);
    }

    private int Offset(string slot)
    {
        int at = _bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(slot));
        return at >= 0 ? at : throw new InvalidOperationException($"Slot {slot[0]} missing from the template.");
    }
}
