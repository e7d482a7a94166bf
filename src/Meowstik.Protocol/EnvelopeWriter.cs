using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// Encodes mesh messages into an <see cref="IBufferWriter{T}"/> without allocating, reusing one <see cref="Utf8JsonWriter"/>.
/// Not thread-safe: use one per send loop.
/// </summary>
/// <example>
/// <code>
/// var writer = new EnvelopeWriter();
/// var header = new EnvelopeHeader(MessageType.Command) { To = "alexa-001"u8 };
/// writer.Write(buffer, header, """{"action":"speak","params":{"text":"hi"}}"""u8);
///
/// Utf8JsonWriter json = writer.BeginEnvelope(buffer, new EnvelopeHeader(MessageType.Heartbeat));
/// HeartbeatPayload.Write(json, new HeartbeatPayload(3600, 256, 5));
/// writer.EndEnvelope();
/// </code>
/// </example>
public sealed class EnvelopeWriter
{
    private static readonly JsonWriterOptions s_options = new()
    {
        // The output is a wire format, never embedded in HTML: escape only what JSON requires.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly TimeProvider _time;
    private readonly TimestampCache _timestamps = new();
    private readonly Utf8JsonWriter _json;
    private readonly byte[] _lastId = new byte[Math.Max(MessageId.MaxLength, 256)];
    private int _lastIdLength;
    private bool _open;
    private IBufferWriter<byte>? _output;

    /// <summary>Creates a writer. <paramref name="time"/> supplies generated ids and timestamps (default: system clock).</summary>
    public EnvelopeWriter(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _json = new Utf8JsonWriter(new ArrayBufferWriter<byte>(1), s_options);
    }

    /// <summary>The <c>id</c> of the last message written (generated or given, up to 256 bytes).</summary>
    public ReadOnlySpan<byte> LastId => _lastId.AsSpan(0, _lastIdLength);

    /// <summary>Writes a complete message with a raw UTF-8 JSON payload object (empty: no payload).</summary>
    /// <exception cref="ArgumentException">The type is <see cref="MessageType.Unknown"/>, or <c>from</c>/<c>to</c> is not a valid device id.</exception>
    public void Write(IBufferWriter<byte> output, scoped in EnvelopeHeader header, ReadOnlySpan<byte> rawPayloadJson)
    {
        ArgumentNullException.ThrowIfNull(output);
        _open = false;
        WriteHeader(output, header, withPayload: !rawPayloadJson.IsEmpty);
        Span<byte> span = output.GetSpan(rawPayloadJson.Length + 1);
        rawPayloadJson.CopyTo(span);
        span[rawPayloadJson.Length] = (byte)'}';
        output.Advance(rawPayloadJson.Length + 1);
    }

    /// <summary>Writes the header and the <c>payload</c> property name; write the payload value, then call <see cref="EndEnvelope"/>.</summary>
    public Utf8JsonWriter BeginEnvelope(IBufferWriter<byte> output, scoped in EnvelopeHeader header)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteHeader(output, header, withPayload: true);
        // The payload is the writer's one root value; the header before it and the brace after it are written raw.
        _json.Reset(output);
        _output = output;
        _open = true;
        return _json;
    }

    /// <summary>Closes the message begun by <see cref="BeginEnvelope"/> and flushes it to the output.</summary>
    public void EndEnvelope()
    {
        if (!_open || _output is null) throw new InvalidOperationException("No envelope is open.");
        _open = false;
        _json.Flush();
        _output.GetSpan(1)[0] = (byte)'}';
        _output.Advance(1);
        _output = null;
    }

    // The header is written as raw bytes: the names and the type are constants, device ids never need escaping
    // (they are validated), and ids are escaped only when they contain something JSON must escape.
    private void WriteHeader(IBufferWriter<byte> output, scoped in EnvelopeHeader header, bool withPayload)
    {
        if (header.Type == MessageType.Unknown) throw new ArgumentException("The message type is required.", nameof(header));
        // A message with a bad device id would be rejected by every peer: fail at the source instead.
        if (!header.From.IsEmpty && !DeviceId.IsValid(header.From)) throw new ArgumentException("From is not a valid device id (1-64 of [A-Za-z0-9._-]).", nameof(header));
        if (!header.To.IsEmpty && !DeviceId.IsValid(header.To)) throw new ArgumentException("To is not a valid device id (1-64 of [A-Za-z0-9._-]).", nameof(header));
        _open = false;

        DateTimeOffset now = header.Timestamp ?? _time.GetUtcNow();
        ReadOnlySpan<byte> id = header.Id;
        if (id.IsEmpty)
        {
            _lastIdLength = MessageId.Write(_lastId, now.ToUnixTimeMilliseconds());
            id = LastId;
        }
        else
        {
            _lastIdLength = Math.Min(id.Length, _lastId.Length);
            id[.._lastIdLength].CopyTo(_lastId);
        }

        ReadOnlySpan<byte> type = MessageTypes.GetUtf8Name(header.Type);
        int size = 96 + type.Length + header.From.Length + header.To.Length + Iso8601Timestamp.Length
            + EscapedBound(id) + EscapedBound(header.CorrelationId);
        Span<byte> span = output.GetSpan(size);
        int p = PlainText.Put(span, 0, "{\"id\":\""u8);
        p = PutEscaped(span, p, id);
        p = PlainText.Put(span, p, "\",\"type\":\""u8);
        p = PlainText.Put(span, p, type);
        if (!header.From.IsEmpty)
        {
            p = PlainText.Put(span, p, "\",\"from\":\""u8);
            p = PlainText.Put(span, p, header.From);
        }
        if (!header.To.IsEmpty)
        {
            p = PlainText.Put(span, p, "\",\"to\":\""u8);
            p = PlainText.Put(span, p, header.To);
        }
        if (!header.CorrelationId.IsEmpty)
        {
            p = PlainText.Put(span, p, "\",\"correlation_id\":\""u8);
            p = PutEscaped(span, p, header.CorrelationId);
        }
        p = PlainText.Put(span, p, "\",\"timestamp\":\""u8);
        p += _timestamps.Write(span[p..], now);
        p = PlainText.Put(span, p, withPayload ? "\",\"payload\":"u8 : "\""u8);
        output.Advance(p);
    }

    private static int EscapedBound(ReadOnlySpan<byte> value) => value.Length * 6;

    private static int PutEscaped(Span<byte> span, int p, ReadOnlySpan<byte> value)
    {
        // JSON requires escaping only of quote, backslash and control characters; everything else valid UTF-8 is
        // written as it is (generated ids are plain ASCII and always take this path).
        if (value.IndexOfAny(PlainText.MustEscape) < 0 && System.Text.Unicode.Utf8.IsValid(value)) return PlainText.Put(span, p, value);
        OperationStatus status = s_options.Encoder!.EncodeUtf8(value, span[p..], out _, out int written);
        if (status != OperationStatus.Done) throw new ArgumentException("An id is not valid UTF-8.");
        return p + written;
    }
}
