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
    private readonly Utf8JsonWriter _json;
    private readonly byte[] _lastId = new byte[Math.Max(MessageId.MaxLength, 256)];
    private int _lastIdLength;
    private bool _open;

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
        Utf8JsonWriter json = BeginHeader(output, header);
        if (!rawPayloadJson.IsEmpty)
        {
            json.WritePropertyName("payload"u8);
            json.WriteRawValue(rawPayloadJson, skipInputValidation: true);
        }
        _open = true;
        EndEnvelope();
    }

    /// <summary>Writes the header and the <c>payload</c> property name; write the payload value, then call <see cref="EndEnvelope"/>.</summary>
    public Utf8JsonWriter BeginEnvelope(IBufferWriter<byte> output, scoped in EnvelopeHeader header)
    {
        Utf8JsonWriter json = BeginHeader(output, header);
        json.WritePropertyName("payload"u8);
        _open = true;
        return json;
    }

    /// <summary>Closes the message begun by <see cref="BeginEnvelope"/> and flushes it to the output.</summary>
    public void EndEnvelope()
    {
        if (!_open) throw new InvalidOperationException("No envelope is open.");
        _open = false;
        _json.WriteEndObject();
        _json.Flush();
    }

    private Utf8JsonWriter BeginHeader(IBufferWriter<byte> output, scoped in EnvelopeHeader header)
    {
        if (header.Type == MessageType.Unknown) throw new ArgumentException("The message type is required.", nameof(header));
        // A message with a bad device id would be rejected by every peer: fail at the source instead.
        if (!header.From.IsEmpty && !DeviceId.IsValid(header.From)) throw new ArgumentException("From is not a valid device id (1-64 of [A-Za-z0-9._-]).", nameof(header));
        if (!header.To.IsEmpty && !DeviceId.IsValid(header.To)) throw new ArgumentException("To is not a valid device id (1-64 of [A-Za-z0-9._-]).", nameof(header));
        _json.Reset(output);
        _open = false;
        _json.WriteStartObject();

        DateTimeOffset now = header.Timestamp ?? _time.GetUtcNow();
        if (header.Id.IsEmpty)
        {
            _lastIdLength = MessageId.Write(_lastId, now.ToUnixTimeMilliseconds());
        }
        else
        {
            _lastIdLength = Math.Min(header.Id.Length, _lastId.Length);
            header.Id[.._lastIdLength].CopyTo(_lastId);
        }
        _json.WriteString("id"u8, header.Id.IsEmpty ? LastId : header.Id);
        _json.WriteString("type"u8, MessageTypes.GetUtf8Name(header.Type));
        if (!header.From.IsEmpty) _json.WriteString("from"u8, header.From);
        if (!header.To.IsEmpty) _json.WriteString("to"u8, header.To);
        if (!header.CorrelationId.IsEmpty) _json.WriteString("correlation_id"u8, header.CorrelationId);
        Span<byte> timestamp = stackalloc byte[Iso8601Timestamp.Length];
        Iso8601Timestamp.Write(timestamp, now);
        _json.WriteString("timestamp"u8, timestamp);
        return _json;
    }
}
