using Meowstik.Protocol.Tests.Support;
using System.Buffers;
using System.Text;
using Meowstik.Protocol;

namespace Meowstik.Fuzz.Codec;

/// <summary>
/// One fuzz execution over the codec. Every check throws <see cref="InvariantException"/> on failure; any other exception
/// escaping is itself a finding (the Try* APIs promise never to throw on bad input).
/// </summary>
internal static class CodecTarget
{
    // Inputs this small are also read one byte per segment: the reader's segment-boundary code is where a
    // sequence-only bug hides, and a 64-segment chain is still cheap.
    private const int BytePerSegmentLimit = 64;

    public static void Run(byte[] input)
    {
        ReadOnlySpan<byte> span = input;
        bool spanOk = EnvelopeReader.TryRead(span, out MeshEnvelope fromSpan, out ProtocolError spanError);

        // The split position comes from the input itself so the fuzzer can steer it, and it may be 0 or the full
        // length (an empty first or last segment, a case Utf8JsonReader itself mishandles).
        int split = input.Length == 0 ? 0 : (input[^1] * 31 + input.Length) % (input.Length + 1);
        ReadOnlySequence<byte> twoSegments = Sequences.SplitAt(input, split);
        CheckSequenceAgrees(span, spanOk, fromSpan, spanError, twoSegments, "two segments split at " + split);
        if (input.Length <= BytePerSegmentLimit)
        {
            CheckSequenceAgrees(span, spanOk, fromSpan, spanError, input.Length < 2 ? Sequences.SplitAt(input, input.Length) : Sequences.OneBytePerSegment(input), "one byte per segment");
        }

        if (spanOk)
        {
            CheckPayloads(fromSpan);
            CheckRoundTrip(fromSpan);
            if (fromSpan.Type == MessageType.Stream) CheckBinaryConversion(span);
        }

        CheckBinaryFrame(input, twoSegments);
    }

    private static void CheckSequenceAgrees(
        ReadOnlySpan<byte> span, bool spanOk, scoped in MeshEnvelope fromSpan, ProtocolError spanError, ReadOnlySequence<byte> sequence, string form)
    {
        bool seqOk = EnvelopeReader.TryRead(sequence, out MeshEnvelope fromSeq, out ProtocolError seqError);
        Require(spanOk == seqOk, $"span read {Describe(spanOk, spanError)} but {form} read {Describe(seqOk, seqError)}");
        if (!spanOk)
        {
            Require(spanError.Code == seqError.Code && spanError.Field == seqError.Field,
                $"error differs: span {spanError}, {form} {seqError}");
            // Only invalid-UTF-8 offsets are part of the contract (tests/vectors/README.md).
            if (spanError.Code == ProtocolErrorCode.InvalidUtf8)
            {
                Require(spanError.Offset == seqError.Offset, $"invalid UTF-8 offset differs: span {spanError.Offset}, {form} {seqError.Offset}");
            }
            return;
        }

        Require(fromSpan.Type == fromSeq.Type, $"type differs: {fromSpan.Type} vs {fromSeq.Type} ({form})");
        Require(fromSpan.Length == fromSeq.Length, $"length differs ({form})");
        Require(fromSpan.HasPayload == fromSeq.HasPayload, $"payload presence differs ({form})");
        Require(fromSpan.IsToHub == fromSeq.IsToHub && fromSpan.IsBroadcast == fromSeq.IsBroadcast, $"addressing differs ({form})");
        Require(fromSpan.TimestampValue == fromSeq.TimestampValue, $"timestamp value differs ({form})");
        SameSlice(fromSpan.Id, fromSeq.Id, "id", form);
        SameSlice(fromSpan.From, fromSeq.From, "from", form);
        SameSlice(fromSpan.To, fromSeq.To, "to", form);
        SameSlice(fromSpan.CorrelationId, fromSeq.CorrelationId, "correlation_id", form);
        SameSlice(fromSpan.Timestamp, fromSeq.Timestamp, "timestamp", form);
        SameSlice(fromSpan.Payload, fromSeq.Payload, "payload", form);

        // The typed payload rules must not depend on how the bytes arrived either.
        PayloadVerdict spanVerdict = Payloads(fromSpan), seqVerdict = Payloads(fromSeq);
        Require(spanVerdict == seqVerdict, $"payload verdict differs: span {spanVerdict}, {form} {seqVerdict}");
    }

    private static void SameSlice(Utf8JsonSlice a, Utf8JsonSlice b, string field, string form)
    {
        Require(a.IsPresent == b.IsPresent && a.TokenType == b.TokenType, $"{field} presence/type differs ({form})");
        if (!a.IsPresent) return;
        Require(a.ToArray().AsSpan().SequenceEqual(b.ToArray()), $"{field} raw bytes differ ({form})");
        if (a.IsString) Require(a.GetString() == b.GetString(), $"{field} unescaped value differs ({form})");
    }

    /// <summary>The outcome of every typed reader the type allows, folded into one comparable value.</summary>
    private readonly record struct PayloadVerdict(bool Valid, ProtocolErrorCode Code, string? Field, string Detail);

    private static PayloadVerdict Payloads(scoped in MeshEnvelope envelope)
    {
        bool valid = PayloadValidator.TryValidate(envelope, out ProtocolError error);
        string detail = "";
        switch (envelope.Type)
        {
            case MessageType.Command:
            case MessageType.Query:
                // Two decoders for one payload: the envelope overload reuses the fast scanner's member offsets, the
                // slice overload scans again. They must agree on everything.
                bool viaEnvelope = CommandPayload.TryRead(envelope, out CommandPayload a, out ProtocolError ea);
                bool viaSlice = CommandPayload.TryRead(envelope.Payload, out CommandPayload b, out ProtocolError eb);
                Require(viaEnvelope == viaSlice && ea.Code == eb.Code && ea.Field == eb.Field,
                    $"CommandPayload overloads disagree: envelope {Describe(viaEnvelope, ea)}, slice {Describe(viaSlice, eb)}");
                if (viaEnvelope)
                {
                    Require(a.TimeoutMs == b.TimeoutMs, "CommandPayload overloads disagree on timeout_ms");
                    SameSlice(a.Action, b.Action, "payload.action", "command overloads");
                    SameSlice(a.Params, b.Params, "payload.params", "command overloads");
                    SameSlice(a.Target, b.Target, "payload.target", "command overloads");
                    SameSlice(a.Command, b.Command, "payload.command", "command overloads");
                    detail = $"action={a.Action.GetString()} timeout={a.TimeoutMs}";
                }
                break;
            case MessageType.Register:
                detail = Outcome(RegisterPayload.TryRead(envelope.Payload, out _, out ProtocolError re), re);
                break;
            case MessageType.Response:
                detail = Outcome(ResponsePayload.TryRead(envelope.Payload, out _, out ProtocolError rs), rs)
                    + " registered:" + Outcome(RegisteredPayload.TryRead(envelope.Payload, out _, out ProtocolError rg), rg);
                break;
            case MessageType.Event:
                detail = Outcome(EventPayload.TryRead(envelope.Payload, out _, out ProtocolError ev), ev);
                break;
            case MessageType.Error:
                detail = Outcome(ErrorPayload.TryRead(envelope.Payload, out _, out ProtocolError er), er);
                break;
            case MessageType.Heartbeat:
                detail = Outcome(HeartbeatPayload.TryRead(envelope.Payload, out _, out ProtocolError hb), hb);
                break;
            case MessageType.Stream:
                bool chunkOk = StreamChunk.TryRead(envelope.Payload, out StreamChunk chunk, out ProtocolError sc);
                detail = Outcome(chunkOk, sc) + " metadata:" + Outcome(StreamChunk.TryReadMetadata(envelope.Payload, out _, out ProtocolError sm), sm);
                if (chunkOk) detail += " data:" + DecodeData(chunk, valid);
                break;
        }
        return new PayloadVerdict(valid, error.Code, error.Field, detail);
    }

    private static void CheckPayloads(scoped in MeshEnvelope envelope) => Payloads(envelope);

    private static string DecodeData(scoped in StreamChunk chunk, bool validatorAccepted)
    {
        byte[] buffer = new byte[chunk.DecodedLengthUpperBound];
        OperationStatus status = chunk.DecodeData(buffer, out int written);
        // For a stream whose chunk reads, the validator's verdict is its base64 rule; DecodeData is what the hub
        // uses to relay the bytes. They must agree on what is valid.
        Require(validatorAccepted == (status == OperationStatus.Done), $"validator says base64 valid={validatorAccepted} but DecodeData={status}");
        return $"{status}:{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(buffer.AsSpan(0, written)))}";
    }

    /// <summary>Re-encodes the decoded header and raw payload with <see cref="EnvelopeWriter"/> and reads it back.</summary>
    private static void CheckRoundTrip(scoped in MeshEnvelope original)
    {
        byte[] id = Utf8(original.Id), from = Utf8(original.From), to = Utf8(original.To), correlation = Utf8(original.CorrelationId);
        byte[] payload = original.HasPayload ? original.Payload.ToArray() : [];
        var header = new EnvelopeHeader(original.Type)
        {
            Id = id,
            From = from,
            To = to,
            CorrelationId = correlation,
            Timestamp = original.TimestampValue,
        };
        var output = new ArrayBufferWriter<byte>();
        new EnvelopeWriter().Write(output, header, payload);

        bool ok = EnvelopeReader.TryRead(output.WrittenSpan, out MeshEnvelope again, out ProtocolError error);
        Require(ok, $"re-encoded envelope does not read back: {error}; wrote {Encoding.UTF8.GetString(output.WrittenSpan)}");
        Require(again.Type == original.Type, "round trip changed the type");
        if (id.Length > 0) Require(Utf8(again.Id).AsSpan().SequenceEqual(id), "round trip changed the id");
        Require(Utf8(again.From).AsSpan().SequenceEqual(from), "round trip changed from");
        Require(Utf8(again.To).AsSpan().SequenceEqual(to), "round trip changed to");
        Require(Utf8(again.CorrelationId).AsSpan().SequenceEqual(correlation), "round trip changed correlation_id");
        Require(again.HasPayload == original.HasPayload, "round trip changed payload presence");
        if (original.HasPayload) Require(again.Payload.ToArray().AsSpan().SequenceEqual(payload), "round trip changed the payload bytes");
        if (original.TimestampValue is DateTimeOffset at)
        {
            // The writer emits UTC with milliseconds; finer digits are truncated.
            long expected = at.UtcTicks - at.UtcTicks % TimeSpan.TicksPerMillisecond;
            Require(again.TimestampValue?.UtcTicks == expected, $"round trip changed the timestamp: {at:O} -> {again.TimestampValue:O}");
        }
        PayloadVerdict before = Payloads(original), after = Payloads(again);
        Require(before == after, $"payload verdict changed on round trip: {before} -> {after}");
    }

    /// <summary>JSON stream → binary frame → JSON again must keep a readable stream envelope with the same data.</summary>
    private static void CheckBinaryConversion(ReadOnlySpan<byte> json)
    {
        var binary = new ArrayBufferWriter<byte>();
        if (!BinaryStreamConverter.TryConvertToBinary(json, binary, out _)) return;
        Require(BinaryStreamFrame.TryRead(binary.WrittenSpan, out BinaryStreamFrame frame, out ProtocolError frameError),
            $"TryConvertToBinary produced a frame that does not read: {frameError}");
        Require(frame.Header.Type == MessageType.Stream, "converted frame header is not a stream");
        var back = new ArrayBufferWriter<byte>();
        Require(BinaryStreamConverter.TryConvertToJson(binary.WrittenSpan, back, out ProtocolError backError),
            $"a converted frame does not convert back to JSON: {backError}");
        Require(EnvelopeReader.TryRead(back.WrittenSpan, out MeshEnvelope again, out ProtocolError againError),
            $"JSON converted back from a frame does not read: {againError}");
        // The converters move bytes and do not judge metadata: the chunk rules must give the same verdict after the trip.
        EnvelopeReader.TryRead(json, out MeshEnvelope original, out _);
        bool before = StreamChunk.TryRead(original.Payload, out _, out ProtocolError beforeError);
        bool after = StreamChunk.TryRead(again.Payload, out StreamChunk chunk, out ProtocolError afterError);
        Require(before == after && beforeError.Code == afterError.Code,
            $"stream chunk verdict changed across JSON -> binary -> JSON: {Describe(before, beforeError)} -> {Describe(after, afterError)}");
        if (!after) return;
        byte[] data = new byte[chunk.DecodedLengthUpperBound];
        Require(chunk.TryDecodeData(data, out int written), "converted-back data is not valid base64");
        frame.TryGetContiguousData(out ReadOnlySpan<byte> frameData);
        Require(data.AsSpan(0, written).SequenceEqual(frameData), "stream data changed across JSON -> binary -> JSON");
    }

    /// <summary>The input as a binary stream frame: span and sequence agree, and a frame converts to a readable JSON envelope.</summary>
    private static void CheckBinaryFrame(byte[] input, ReadOnlySequence<byte> twoSegments)
    {
        bool spanOk = BinaryStreamFrame.TryRead(input, out BinaryStreamFrame frame, out ProtocolError spanError);
        bool seqOk = BinaryStreamFrame.TryRead(twoSegments, out BinaryStreamFrame seqFrame, out ProtocolError seqError);
        Require(spanOk == seqOk && spanError.Code == seqError.Code,
            $"binary frame: span {Describe(spanOk, spanError)}, sequence {Describe(seqOk, seqError)}");
        var json = new ArrayBufferWriter<byte>();
        var jsonFromSeq = new ArrayBufferWriter<byte>();
        bool converted = BinaryStreamConverter.TryConvertToJson(input, json, out ProtocolError convertError);
        bool convertedSeq = BinaryStreamConverter.TryConvertToJson(twoSegments, jsonFromSeq, out ProtocolError convertSeqError);
        Require(converted == convertedSeq && convertError.Code == convertSeqError.Code,
            $"TryConvertToJson: span {Describe(converted, convertError)}, sequence {Describe(convertedSeq, convertSeqError)}");
        if (!spanOk) return;

        Require(frame.HeaderLength == seqFrame.HeaderLength && frame.DataLength == seqFrame.DataLength, "binary frame layout differs span/sequence");
        bool metaOk = frame.TryReadMetadata(out _, out ProtocolError metaError);
        bool metaSeqOk = seqFrame.TryReadMetadata(out _, out ProtocolError metaSeqError);
        Require(metaOk == metaSeqOk && metaError.Code == metaSeqError.Code, "binary frame metadata verdict differs span/sequence");
        if (!converted) return;
        Require(json.WrittenSpan.SequenceEqual(jsonFromSeq.WrittenSpan), "TryConvertToJson output differs span/sequence");
        Require(EnvelopeReader.TryRead(json.WrittenSpan, out MeshEnvelope envelope, out ProtocolError readError),
            $"TryConvertToJson produced JSON that does not read: {readError}; {Encoding.UTF8.GetString(json.WrittenSpan)}");
        Require(envelope.Type == MessageType.Stream, "converted frame is not a stream envelope");
    }

    private static byte[] Utf8(Utf8JsonSlice slice) =>
        slice.IsPresent && slice.IsString ? Encoding.UTF8.GetBytes(slice.GetString() ?? "") : [];

    private static string Outcome(bool ok, ProtocolError error) => ok ? "ok" : error.Code + "/" + error.Field;

    private static string Describe(bool ok, ProtocolError error) => ok ? "ok" : "fail " + error;

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new InvariantException(message);
    }
}
