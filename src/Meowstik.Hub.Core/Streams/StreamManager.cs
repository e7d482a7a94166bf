using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Core;

/// <summary>
/// Fans <c>stream</c> messages out to their subscribers (devices via the <c>subscribe_stream</c> hub action, and in-process host
/// subscribers). Video keeps only the newest frame per slow subscriber (<see cref="VideoSlot"/>, older frames dropped and counted);
/// audio and other streams use the subscriber's bounded stream queue (overflow dropped and counted). Gaps in
/// <c>chunk_index</c>/<c>frame_index</c> per source and stream type are counted on the <c>meowstik.hub.streams.gaps</c> counter.
/// </summary>
internal sealed partial class StreamManager
{
    private const int MaxStreamTypeBytes = 64;

    private readonly MeshHubOptions _options;
    private readonly ProtocolLimits _limits;
    private readonly DeviceRegistry _registry;
    private readonly AuthManager _auth;
    private readonly TimeProvider _time;
    private readonly HubMetrics _metrics;
    private readonly ILogger _logger;
    private readonly DeliveryOutcomes _outcomes;
    private readonly EnvelopeStamper _stamper;
    private readonly Lock _lock = new();
    private readonly ConcurrentDictionary<string, Source> _sources = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Source>.AlternateLookup<ReadOnlySpan<char>> _sourcesBySpan;

    public StreamManager(
        MeshHubOptions options, ProtocolLimits limits, DeviceRegistry registry, AuthManager auth, TimeProvider time, HubMetrics metrics,
        ILogger logger, DeliveryOutcomes outcomes, EnvelopeStamper stamper)
    {
        _options = options;
        _limits = limits;
        _registry = registry;
        _auth = auth;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _outcomes = outcomes;
        _stamper = stamper;
        _sourcesBySpan = _sources.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Total gaps counted (missing chunk/frame indexes) since start.</summary>
    public long GapCount => Interlocked.Read(ref _gapCount);

    private long _gapCount;

    /// <summary>Adds a device subscription unless it exists or the subscriber holds its limit of subscriptions.</summary>
    public SubscribeResult Subscribe(MeshConnection subscriber, string deviceId, string streamType)
    {
        lock (_lock)
        {
            Source source = _sources.GetOrAdd(deviceId, static id => new Source(id));
            foreach (Subscription existing in source.Subscribers)
            {
                if (ReferenceEquals(existing.Connection, subscriber) && existing.StreamType == streamType) return SubscribeResult.AlreadySubscribed;
            }
            if (subscriber.StreamSubscriptionCount >= _options.MaxStreamSubscriptionsPerConnection) return SubscribeResult.LimitReached;
            source.Subscribers = [.. source.Subscribers, new Subscription(subscriber, null, streamType)];
            subscriber.StreamSubscriptionCount++;
            return SubscribeResult.Added;
        }
    }

    /// <summary>Removes a device subscription; false when there was none.</summary>
    public bool Unsubscribe(MeshConnection subscriber, string deviceId, string streamType)
    {
        lock (_lock)
        {
            if (!_sources.TryGetValue(deviceId, out Source? source)) return false;
            Subscription[] kept = Array.FindAll(source.Subscribers, s => !(ReferenceEquals(s.Connection, subscriber) && s.StreamType == streamType));
            bool removed = kept.Length != source.Subscribers.Length;
            source.Subscribers = kept;
            if (removed) subscriber.StreamSubscriptionCount--;
            return removed;
        }
    }

    public MeshSubscription<MeshStreamChunk> SubscribeHost(string deviceId, string streamType)
    {
        MeshSubscription<MeshStreamChunk>? created = null;
        created = new MeshSubscription<MeshStreamChunk>(
            _options.HostSubscriberQueueCapacity,
            s => RemoveHost(deviceId, s),
            () => _metrics.Dropped(DropReason.HostSubscriberOverflow));
        lock (_lock)
        {
            Source source = _sources.GetOrAdd(deviceId, static id => new Source(id));
            source.Subscribers = [.. source.Subscribers, new Subscription(null, created, streamType)];
        }
        return created;
    }

    /// <summary>Drops every subscription held by a connection that ended.</summary>
    public void RemoveSubscriber(MeshConnection connection)
    {
        lock (_lock)
        {
            foreach (Source source in _sources.Values)
            {
                if (Array.Exists(source.Subscribers, s => ReferenceEquals(s.Connection, connection)))
                {
                    source.Subscribers = Array.FindAll(source.Subscribers, s => !ReferenceEquals(s.Connection, connection));
                }
            }
        }
    }

    public void CompleteAll()
    {
        foreach (Source source in _sources.Values)
        {
            foreach (Subscription subscription in source.Subscribers) subscription.Host?.Complete();
        }
    }

    /// <summary>Subscriptions to a device's streams (for the <c>get_state</c> hub action and tests).</summary>
    public int SubscriberCount(string deviceId) => _sources.TryGetValue(deviceId, out Source? source) ? source.Subscribers.Length : 0;

    /// <summary>Routes a JSON <c>stream</c> message.</summary>
    public void Route(MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, long start) =>
        RouteCore(sender, envelope, raw, id, start, default, isBinary: false);

    /// <summary>Routes a binary WebSocket message: a binary stream frame (version byte, header length, JSON header, raw data).</summary>
    public void RouteBinary(MeshConnection sender, in ReadOnlySequence<byte> raw, long start)
    {
        Span<byte> idBuffer = stackalloc byte[EnvelopeText.MaxIdBytes];
        if (!BinaryStreamFrame.TryRead(raw, out BinaryStreamFrame frame, out ProtocolError error, _limits))
        {
            _outcomes.RejectProtocol(sender, MessageType.Stream, MessageIdScanner.Find(raw, WebSocketMessageType.Binary, idBuffer), raw.Length, error);
            return;
        }
        MeshEnvelope header = frame.Header;
        ReadOnlySpan<byte> id = EnvelopeText.Copy(header.Id, idBuffer);
        if (header.From.IsPresent && !header.From.ValueEquals(sender.DeviceIdUtf8))
        {
            _outcomes.Reject(sender, MessageType.Stream, id, null, raw.Length, DropReason.SpoofedFrom, MeshErrorCodes.Forbidden,
                "'from' must be the registered device id of this connection.", "from", violation: true);
            return;
        }
        RouteCore(sender, header, raw, id, start, frame, isBinary: true);
    }

    private void RouteCore(
        MeshConnection sender, in MeshEnvelope envelope, in ReadOnlySequence<byte> raw, ReadOnlySpan<byte> id, long start,
        in BinaryStreamFrame frame, bool isBinary)
    {
        long size = raw.Length;
        Span<byte> typeBuffer = stackalloc byte[MaxStreamTypeBytes];
        ReadOnlySpan<byte> streamType = EnvelopeText.PayloadString(envelope.Payload, "stream_type"u8, typeBuffer);
        if (streamType.IsEmpty)
        {
            _outcomes.RejectProtocol(sender, MessageType.Stream, id, size, new ProtocolError(ProtocolErrorCode.InvalidField, 0, "payload.stream_type"));
            return;
        }
        Span<char> targetBuffer = stackalloc char[DeviceId.MaxLength];
        ReadOnlySpan<char> target = envelope.IsToHub ? default : envelope.IsBroadcast ? "*" : EnvelopeText.DeviceId(envelope.To, targetBuffer);
        AuthDecision decision = _auth.Authorize(sender.Identity!, MeshAction.Stream, target);
        if (!decision.IsAllowed)
        {
            _outcomes.Deny(sender, MessageType.Stream, id, target, size, decision);
            return;
        }
        long index = EnvelopeText.PayloadInt64(envelope.Payload, "chunk_index"u8, out long chunk) ? chunk
            : EnvelopeText.PayloadInt64(envelope.Payload, "frame_index"u8, out long frameIndex) ? frameIndex : -1;
        Source? source = _sourcesBySpan.TryGetValue(sender.DeviceId, out Source? found) ? found : null;
        if (index >= 0) CountGap(sender.DeviceId, ref source, streamType, index);

        MeshConnection? direct = null;
        if (!envelope.IsToHub && !envelope.IsBroadcast)
        {
            if (!_registry.TryGet(target, out direct) || direct.IsClosing)
            {
                _outcomes.TargetMissing(sender, envelope, raw, id, target, start);
                return;
            }
        }

        Span<byte> finalId = stackalloc byte[EnvelopeText.MaxIdBytes];
        int finalIdLength;
        var lanes = new Lanes(isBinary
            ? ForwardBinary(sender, envelope, frame, raw, id, finalId, out finalIdLength)
            : _stamper.Stamp(sender, envelope, raw, id, default, finalId, out finalIdLength));
        bool isVideo = streamType.SequenceEqual("video"u8);
        int delivered = 0;
        try
        {
            if (direct is not null)
            {
                if (Offer(direct, lanes.For(direct, _metrics), isVideo, direct.DirectVideoSlot)) delivered++;
                _outcomes.Delivered(sender, MessageType.Stream, finalId[..finalIdLength], direct.DeviceId, size, start, delivered);
                return;
            }
            MeshStreamChunk? hostChunk = null;
            if (source is not null)
            {
                foreach (Subscription subscription in source.Subscribers)
                {
                    if (!subscription.Matches(streamType)) continue;
                    if (subscription.Connection is { } subscriber)
                    {
                        if (subscriber.IsClosing || ReferenceEquals(subscriber, sender) || subscriber.Identity is null) continue;
                        if (!_auth.Authorize(subscriber.Identity, MeshAction.Observe, sender.DeviceId).IsAllowed) continue;
                        if (Offer(subscriber, lanes.For(subscriber, _metrics), isVideo, subscription.Slot)) delivered++;
                    }
                    else if (subscription.Host is { } host)
                    {
                        hostChunk ??= ToChunk(sender.DeviceId, envelope, frame, isBinary);
                        if (host.TryPublish(hostChunk)) delivered++;
                    }
                }
            }
            if (envelope.IsBroadcast)
            {
                // Broadcast streams reach every observer that did not subscribe explicitly, through its stream lane.
                foreach (MeshConnection recipient in _registry.Snapshot)
                {
                    if (ReferenceEquals(recipient, sender) || recipient.IsClosing || recipient.Identity is null) continue;
                    if (source is not null && IsSubscribed(source, recipient, streamType)) continue;
                    if (!_auth.Authorize(recipient.Identity, MeshAction.Observe, sender.DeviceId).IsAllowed) continue;
                    if (Offer(recipient, lanes.For(recipient, _metrics), isVideo, recipient.DirectVideoSlot)) delivered++;
                }
            }
            _outcomes.Delivered(sender, MessageType.Stream, finalId[..finalIdLength], envelope.IsBroadcast ? DeviceId.Broadcast : DeviceId.Hub, size, start, delivered);
        }
        finally
        {
            lanes.Release();
        }
    }

    // Stamps a binary frame: the original bytes when its header is complete, else a rebuilt header in front of the same data.
    private OutboundFrame ForwardBinary(
        MeshConnection sender, in MeshEnvelope header, in BinaryStreamFrame frame, in ReadOnlySequence<byte> raw,
        ReadOnlySpan<byte> id, Span<byte> finalId, out int finalIdLength)
    {
        if (header.From.IsPresent && !id.IsEmpty && header.Timestamp.IsPresent)
        {
            id.CopyTo(finalId);
            finalIdLength = id.Length;
            return OutboundFrame.Copy(raw, WebSocketMessageType.Binary);
        }
        OutboundFrame headerJson = OutboundFrame.Rent();
        Span<byte> toBuffer = stackalloc byte[DeviceId.MaxLength];
        var stamped = new EnvelopeHeader(MessageType.Stream)
        {
            Id = id,
            From = sender.DeviceIdUtf8,
            To = EnvelopeText.Copy(header.To, toBuffer),
            Timestamp = header.TimestampValue ?? _time.GetUtcNow(),
        };
        Utf8JsonWriter json = HubMessageEncoder.Begin(headerJson, stamped);
        header.Payload.WriteRawValueTo(json);
        HubMessageEncoder.End();
        ReadOnlySpan<byte> written = HubMessageEncoder.LastId;
        written.CopyTo(finalId);
        finalIdLength = written.Length;

        OutboundFrame message = OutboundFrame.Rent(WebSocketMessageType.Binary);
        if (frame.TryGetContiguousData(out ReadOnlySpan<byte> data))
        {
            BinaryStreamFrame.Write(message, headerJson.Span, data);
        }
        else
        {
            byte[] gathered = ArrayPool<byte>.Shared.Rent((int)frame.DataLength);
            frame.TryCopyDataTo(gathered, out int length);
            BinaryStreamFrame.Write(message, headerJson.Span, gathered.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(gathered);
        }
        headerJson.Release();
        return message;
    }

    private bool Offer(MeshConnection recipient, OutboundFrame? message, bool isVideo, VideoSlot slot)
    {
        if (message is null) return false;
        EnqueueResult result = isVideo ? recipient.SendVideo(slot, message) : recipient.SendStream(message);
        switch (result)
        {
            case EnqueueResult.Queued:
                return true;
            case EnqueueResult.Superseded:
                Dropped(recipient, DropReason.VideoSuperseded);
                return true;
            case EnqueueResult.Full:
                Dropped(recipient, DropReason.StreamOverflow);
                return false;
            default:
                Dropped(recipient, DropReason.ConnectionClosed);
                return false;
        }
    }

    private void Dropped(MeshConnection recipient, DropReason reason)
    {
        _metrics.Dropped(reason);
        Log.StreamDrop(_logger, recipient.DeviceId, reason.ToName());
    }

    private void CountGap(string deviceId, ref Source? source, ReadOnlySpan<byte> streamType, long index)
    {
        source ??= _sources.GetOrAdd(deviceId, static id => new Source(id));
        long missing = source.Observe(streamType, index);
        if (missing <= 0) return;
        Interlocked.Add(ref _gapCount, missing);
        _metrics.StreamGap(missing);
        Log.Gap(_logger, deviceId, Encoding.UTF8.GetString(streamType), missing, index);
    }

    private static bool IsSubscribed(Source source, MeshConnection connection, ReadOnlySpan<byte> streamType)
    {
        foreach (Subscription subscription in source.Subscribers)
        {
            if (ReferenceEquals(subscription.Connection, connection) && subscription.Matches(streamType)) return true;
        }
        return false;
    }

    private static MeshStreamChunk ToChunk(string from, in MeshEnvelope envelope, in BinaryStreamFrame frame, bool isBinary)
    {
        byte[]? binary = null;
        if (isBinary)
        {
            binary = new byte[frame.DataLength];
            frame.TryCopyDataTo(binary, out _);
        }
        Utf8JsonReader reader = envelope.Payload.CreateReader();
        using JsonDocument document = JsonDocument.ParseValue(ref reader);
        return MeshStreamChunk.FromPayload(from, document.RootElement, envelope.TimestampValue ?? DateTimeOffset.UtcNow, binary);
    }

    private void RemoveHost(string deviceId, MeshSubscription<MeshStreamChunk> subscription)
    {
        lock (_lock)
        {
            if (_sources.TryGetValue(deviceId, out Source? source))
            {
                source.Subscribers = Array.FindAll(source.Subscribers, s => !ReferenceEquals(s.Host, subscription));
            }
        }
    }

    // The stamped message in the sender's format, and the other format (binary frame ↔ base64 JSON) made on first need.
    private struct Lanes(OutboundFrame primary)
    {
        private OutboundFrame? _alternate;
        private bool _alternateFailed;

        public OutboundFrame? For(MeshConnection recipient, HubMetrics metrics)
        {
            bool wantsBinary = recipient.SupportsBinaryStreams;
            bool isBinary = primary.MessageType == WebSocketMessageType.Binary;
            if (wantsBinary == isBinary) return primary;
            if (_alternate is null && !_alternateFailed)
            {
                OutboundFrame converted = OutboundFrame.Rent(isBinary ? WebSocketMessageType.Text : WebSocketMessageType.Binary);
                bool ok = isBinary
                    ? BinaryStreamConverter.TryConvertToJson(primary.Span, converted, out _, UnlimitedSize)
                    : BinaryStreamConverter.TryConvertToBinary(primary.Span, converted, out _, UnlimitedSize);
                if (ok)
                {
                    _alternate = converted;
                }
                else
                {
                    converted.Release();
                    _alternateFailed = true;
                    metrics.Dropped(DropReason.ProtocolError);
                }
            }
            return _alternate;
        }

        public readonly void Release()
        {
            primary.Release();
            _alternate?.Release();
        }
    }

    // Base64 grows data by a third: the converted form may exceed the inbound limit the original met.
    private static readonly ProtocolLimits UnlimitedSize = new() { MaxMessageBytes = int.MaxValue };

    private sealed class Source(string deviceId)
    {
        private readonly Lock _gapLock = new();
        private (byte[] Type, long Last)[] _last = [];

        public string DeviceId { get; } = deviceId;

        public volatile Subscription[] Subscribers = [];

        /// <summary>Records the index of a chunk; returns how many indexes were skipped since the previous one.</summary>
        public long Observe(ReadOnlySpan<byte> streamType, long index)
        {
            lock (_gapLock)
            {
                for (int i = 0; i < _last.Length; i++)
                {
                    if (!_last[i].Type.AsSpan().SequenceEqual(streamType)) continue;
                    long previous = _last[i].Last;
                    _last[i].Last = index;
                    // A restart (index back to 0 or lower) is not a gap.
                    return index > previous + 1 ? index - previous - 1 : 0;
                }
                if (_last.Length < 16) _last = [.. _last, (streamType.ToArray(), index)];
                return 0;
            }
        }
    }

    private sealed class Subscription(MeshConnection? connection, MeshSubscription<MeshStreamChunk>? host, string streamType)
    {
        private readonly byte[] _streamTypeUtf8 = Encoding.UTF8.GetBytes(streamType);

        public MeshConnection? Connection { get; } = connection;

        public MeshSubscription<MeshStreamChunk>? Host { get; } = host;

        public string StreamType { get; } = streamType;

        public VideoSlot Slot { get; } = new();

        public bool Matches(ReadOnlySpan<byte> streamType) => _streamTypeUtf8.AsSpan().SequenceEqual(streamType);
    }

    private static partial class Log
    {
        [LoggerMessage(400, LogLevel.Debug, "{DeviceId} {StreamType}: {Missing} chunk(s) missing before index {Index}")]
        public static partial void Gap(ILogger logger, string deviceId, string streamType, long missing, long index);

        [LoggerMessage(401, LogLevel.Debug, "Stream chunk for {DeviceId} dropped: {Reason}")]
        public static partial void StreamDrop(ILogger logger, string deviceId, string reason);
    }
}
