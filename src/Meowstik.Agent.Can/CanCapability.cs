using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Meowstik.Agent.Can.Dbc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Can;

/// <summary>
/// The <c>can</c> capability: <c>can.subscribe</c>/<c>can.unsubscribe</c> stream decoded signals or raw frames to the
/// requester (stream type <c>can</c>), <c>can.send</c> puts allowed, rate-limited frames on the bus, and the query
/// <c>can.stats</c> reports bus load, frames/s and errors. Frames are read from an <see cref="ICanFrameSource"/> for the
/// agent's lifetime.
/// </summary>
public sealed class CanCapability : MeshCapability, IDisposable
{
    /// <summary>The meter's name: <c>Meowstik.Agent.Can</c>.</summary>
    public const string MeterName = "Meowstik.Agent.Can";

    /// <summary>The stream type of the chunks: <c>can</c>.</summary>
    public const string StreamType = "can";

    private readonly ICanFrameSource _source;
    private readonly ICanFrameSender? _sender;
    private readonly DbcFile? _dbc;
    private readonly CanOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly Counter<long> _framesCounter;
    private readonly Counter<long> _errorCounter;
    private readonly Counter<long> _sendCounter;
    private readonly Counter<long> _chunkCounter;
    private readonly Dictionary<ulong, TokenBucket> _sendAllowed = [];
    private readonly Lock _gate = new();
    private readonly DecodedSignal[] _decoded;
    private readonly CandumpRecorder? _recorder;
    private readonly Dictionary<ulong, LatestFrame>? _latestByKey;
    private readonly Dictionary<string, LatestFrame>? _latestBySignal;
    private Subscription[] _subscriptions = [];
    private long _nextSubscription;

    // Statistics (under _gate for the window; Interlocked for the totals).
    private long _frames;
    private long _errorFrames;
    private long _unknownFrames;
    private long _sent;
    private long _refused;
    private long _chunks;
    private long _windowStart;
    private long _windowFrames;
    private long _windowBits;
    private double _framesPerSecond;
    private double _bitsPerSecond;

    /// <summary>Creates the capability.</summary>
    /// <param name="source">Where frames come from.</param>
    /// <param name="options">The options.</param>
    /// <param name="dbc">The database to decode and encode with (null: raw frames only).</param>
    /// <param name="sender">Where <c>can.send</c> puts frames (null: sending is refused).</param>
    /// <param name="timeProvider">The clock for rates and throttling.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Can</c> meter.</param>
    public CanCapability(ICanFrameSource source, CanOptions options, DbcFile? dbc = null, ICanFrameSender? sender = null,
        TimeProvider? timeProvider = null, ILogger<CanCapability>? logger = null, IMeterFactory? meterFactory = null)
        : base("can")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        foreach (string error in options.FindErrors(""))
        {
            throw new ArgumentException(error, nameof(options));
        }

        _source = source;
        _options = options;
        _dbc = dbc;
        _sender = sender;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _decoded = new DecodedSignal[Math.Max(1, dbc?.Messages.Max(m => m.Signals.Count) ?? 1)];
        _windowStart = _time.GetTimestamp();
        foreach (string allowed in options.SendAllowList)
        {
            CanIds.TryParse(allowed, out uint id, out bool extended);
            _sendAllowed[CanIds.Key(id, extended)] = new TokenBucket(options.SendBurst, options.SendRatePerSecond, _time);
        }

        if (dbc is not null)
        {
            _latestByKey = [];
            _latestBySignal = new Dictionary<string, LatestFrame>(StringComparer.Ordinal);
            foreach (DbcMessage m in dbc.Messages)
            {
                var slot = new LatestFrame(m);
                _latestByKey[CanIds.Key(m.Id, m.IsExtended)] = slot;
                foreach (DbcSignal signal in m.Signals)
                {
                    _latestBySignal.TryAdd(signal.Name, slot);     // a name in two messages: the first one's
                }
            }
        }

        if (options.RecordFile is not null)
        {
            _recorder = CandumpRecorder.Create(options.RecordFile, source.InterfaceName);
        }

        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _framesCounter = _meter.CreateCounter<long>("meowstik.agent.can.frames", "{frame}", "CAN frames received.");
        _errorCounter = _meter.CreateCounter<long>("meowstik.agent.can.error_frames", "{frame}", "CAN error frames received.");
        _sendCounter = _meter.CreateCounter<long>("meowstik.agent.can.sends", "{frame}", "can.send requests, by outcome.");
        _chunkCounter = _meter.CreateCounter<long>("meowstik.agent.can.chunks", "{chunk}", "Stream chunks published to subscribers.");

        Handle("can.subscribe", ctx =>
        {
            try
            {
                return Subscribe(ctx);
            }
            catch (ParamException e)
            {
                return CommandResult.Fail(CanErrorCodes.InvalidParams, e.Message);
            }
        });
        Handle("can.unsubscribe", Unsubscribe);
        Handle("can.send", SendAsync);
        HandleQuery("can.stats", _ => CommandResult.Ok(WriteStats));
    }

    /// <summary>The number of open subscriptions.</summary>
    public int SubscriptionCount => Volatile.Read(ref _subscriptions).Length;

    /// <inheritdoc />
    public override async Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        CanLog.Started(_logger, _source.InterfaceName, _source.GetType().Name, _dbc is null ? "" : $", {_dbc.Messages.Count} DBC messages");
        try
        {
            await foreach (CanFrame frame in _source.ReadFramesAsync(cancellationToken).ConfigureAwait(false))
            {
                Process(frame, publisher);
            }

            CanLog.SourceEnded(_logger, _source.InterfaceName);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            CanLog.SourceFailed(_logger, e, _source.InterfaceName);
            throw;
        }
        finally
        {
            _recorder?.Flush();
        }
    }

    /// <summary>Takes one frame: counts it, records it, and streams it to the subscriptions it matches.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="publisher">Where chunks go.</param>
    public void Process(in CanFrame frame, IMeshPublisher publisher)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        long now = _time.GetTimestamp();
        Interlocked.Increment(ref _frames);
        _framesCounter.Add(1);
        lock (_gate)
        {
            Roll(now);
            _windowFrames++;
            _windowBits += BitsOnWire(frame);
        }

        _recorder?.Write(frame);
        if (frame.IsError)
        {
            Interlocked.Increment(ref _errorFrames);
            _errorCounter.Add(1);
        }
        else if (_latestByKey is not null && _latestByKey.TryGetValue(CanIds.Key(frame.Id, frame.IsExtended), out LatestFrame? latest))
        {
            latest.Set(frame, _time.GetUtcNow());
        }

        DbcMessage? message = null;
        int decoded = 0;
        bool decodedYet = false;
        foreach (Subscription s in Volatile.Read(ref _subscriptions))
        {
            if (!s.Matches(frame))
            {
                continue;
            }

            if (s.Raw || frame.IsError)
            {
                if (!s.Raw)
                {
                    continue;                           // error frames go to raw subscriptions only
                }

                if (s.Due(CanIds.Key(frame.Id, frame.IsExtended), now))
                {
                    Publish(publisher, s, RawChunk(frame), "candump");
                }

                continue;
            }

            if (!decodedYet)
            {
                decodedYet = true;
                decoded = _dbc?.Decode(frame, _decoded, out message) ?? 0;
                if (message is null)
                {
                    Interlocked.Increment(ref _unknownFrames);
                }
            }

            if (message is not null && SignalChunk(s, frame, message, _decoded.AsSpan(0, decoded), now) is { } json)
            {
                Publish(publisher, s, json, "json");
            }
        }

        if (!decodedYet && !frame.IsError && _dbc is not null && !_dbc.TryGetMessage(frame.Id, frame.IsExtended, out _))
        {
            Interlocked.Increment(ref _unknownFrames);
        }
    }

    /// <summary>
    /// The last value of a DBC signal on the bus: the newest frame of the signal's message, decoded now (subscriptions are
    /// not needed). False when no DBC is configured, no message of the DBC has a signal of that name, no frame of it was
    /// received yet, or the signal is multiplexed and the newest frame carries another multiplexer value.
    /// </summary>
    /// <param name="signalName">The signal's name in the DBC (the first message declaring it, when several do).</param>
    /// <param name="signal">The decoded signal: its definition (unit, range), raw and physical value.</param>
    /// <param name="receivedAt">When the frame was received (the capability's clock), to judge staleness.</param>
    /// <returns>Whether a value is known.</returns>
    public bool TryGetLatestSignal(string signalName, out DecodedSignal signal, out DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(signalName);
        signal = default;
        receivedAt = default;
        if (_latestBySignal is null || !_latestBySignal.TryGetValue(signalName, out LatestFrame? slot) || !slot.TryGet(out CanFrame frame, out receivedAt))
        {
            return false;
        }

        var decoded = new DecodedSignal[slot.Message.Signals.Count];
        int n = slot.Message.Decode(frame, decoded);
        for (int i = 0; i < n; i++)
        {
            if (string.Equals(decoded[i].Signal.Name, signalName, StringComparison.Ordinal))
            {
                signal = decoded[i];
                return true;
            }
        }

        receivedAt = default;
        return false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _recorder?.Dispose();
        _meter.Dispose();
    }

    private void Publish(IMeshPublisher publisher, Subscription s, byte[] data, string codec)
    {
        if (publisher.PublishStreamChunk(new OutgoingStreamChunk { StreamType = StreamType, Codec = codec, ChunkIndex = s.NextIndex(), Data = data, To = s.To }))
        {
            Interlocked.Increment(ref _chunks);
            _chunkCounter.Add(1);
        }
    }

    private byte[] RawChunk(in CanFrame frame)
    {
        Span<char> line = stackalloc char[CandumpFormat.MaxLineLength + 16];
        CandumpFormat.TryFormatLine(frame, _source.InterfaceName, line, out int n);
        return Encoding.ASCII.GetBytes(line[..n].ToArray());
    }

    private static byte[]? SignalChunk(Subscription s, in CanFrame frame, DbcMessage message, ReadOnlySpan<DecodedSignal> signals, long now)
    {
        ArrayBufferWriter<byte>? buffer = null;
        Utf8JsonWriter? w = null;
        foreach (DecodedSignal d in signals)
        {
            if (!s.Wants(d.Signal) || !s.Due(d.Signal, now))
            {
                continue;
            }

            if (w is null)
            {
                buffer = new ArrayBufferWriter<byte>(256);
                w = new Utf8JsonWriter(buffer);
                w.WriteStartObject();
                w.WriteString("id", CanIds.Format(frame.Id, frame.IsExtended));
                w.WriteString("message", message.Name);
                w.WriteNumber("t", frame.TimestampMicroseconds / 1e6);
                w.WriteStartObject("signals");
            }

            w.WriteNumber(d.Signal.Name, d.Value);
        }

        if (w is null)
        {
            return null;
        }

        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        w.Dispose();
        return buffer!.WrittenSpan.ToArray();
    }

    private CommandResult Subscribe(CommandContext ctx)
    {
        bool raw = (ctx.GetString("mode") ?? (_dbc is null ? "raw" : "signals")) switch
        {
            "raw" => true,
            "signals" => false,
            var other => throw new ParamException($"mode '{other}' is unknown: use 'signals' or 'raw'."),
        };
        if (!raw && _dbc is null)
        {
            return CommandResult.Fail(CanErrorCodes.InvalidParams, "No DBC file is configured (Meowstik:Can:DbcFile): subscribe with mode 'raw'.");
        }

        HashSet<ulong>? ids = null;
        if (ctx.TryGetParam("ids", out JsonElement idsParam) && idsParam.ValueKind != JsonValueKind.Null)
        {
            if (idsParam.ValueKind != JsonValueKind.Array || idsParam.GetArrayLength() > 256)
            {
                return CommandResult.Fail(CanErrorCodes.InvalidParams, "ids must be an array of at most 256 CAN ids (\"123\", \"18FF50E5\" or numbers).");
            }

            ids = [];
            foreach (JsonElement e in idsParam.EnumerateArray())
            {
                if (!TryReadId(e, false, out uint id, out bool extended, out string? error))
                {
                    return CommandResult.Fail(CanErrorCodes.InvalidParams, error!);
                }

                ids.Add(CanIds.Key(id, extended));
            }
        }

        HashSet<string>? names = null;
        if (ctx.TryGetParam("signals", out JsonElement signalsParam) && signalsParam.ValueKind != JsonValueKind.Null)
        {
            if (signalsParam.ValueKind != JsonValueKind.Array || signalsParam.GetArrayLength() > 1024)
            {
                return CommandResult.Fail(CanErrorCodes.InvalidParams, "signals must be an array of signal names.");
            }

            names = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonElement e in signalsParam.EnumerateArray())
            {
                names.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new ParamException("signals must be an array of signal names."));
            }
        }

        // direct: chunks go to the requester (the device's token needs a grant for it: the hub refuses streams aimed at
        // a device otherwise); hub: chunks go to the hub, which forwards them to its subscribe_stream subscribers.
        // Default: through the hub, which checks who may observe the stream; "direct" needs the device granted the requester.
        bool viaHub = (ctx.GetString("deliver") ?? "hub") switch
        {
            "direct" => false,
            "hub" => true,
            var other => throw new ParamException($"deliver '{other}' is unknown: use 'direct' (to the requester) or 'hub' (to the hub's stream subscribers)."),
        };
        double rate = ctx.GetDouble("max_rate_hz", _options.DefaultSignalRateHz);
        if (!(rate > 0) || !double.IsFinite(rate))
        {
            return CommandResult.Fail(CanErrorCodes.InvalidParams, "max_rate_hz must be a number above 0.");
        }

        rate = Math.Min(rate, _options.MaxSignalRateHz);
        string subscriptionId;
        lock (_gate)
        {
            if (_subscriptions.Length >= _options.MaxSubscriptions)
            {
                return CommandResult.Fail(CanErrorCodes.TooManySubscriptions, $"{_options.MaxSubscriptions} CAN subscriptions are open (Meowstik:Can:MaxSubscriptions); unsubscribe one first.");
            }

            subscriptionId = "can-" + (++_nextSubscription).ToString(CultureInfo.InvariantCulture);
            var s = new Subscription(subscriptionId, ctx.From, viaHub ? null : ctx.From, raw, ids, names, (long)(_time.TimestampFrequency / rate));
            Volatile.Write(ref _subscriptions, [.. _subscriptions, s]);
        }

        CanLog.Subscribed(_logger, ctx.From, subscriptionId, raw ? "raw" : "signals", ids?.Count ?? 0, rate);
        return CommandResult.Ok(w =>
        {
            w.WriteString("subscription_id", subscriptionId);
            w.WriteString("stream_type", StreamType);
            w.WriteString("codec", raw ? "candump" : "json");
            w.WriteString("deliver", viaHub ? "hub" : "direct");
            w.WriteNumber("max_rate_hz", rate);
        });
    }

    private CommandResult Unsubscribe(CommandContext ctx)
    {
        string? id = ctx.GetString("subscription_id");
        int removed;
        lock (_gate)
        {
            Subscription[] keep = [.. _subscriptions.Where(s => s.Owner != ctx.From || (id is not null && s.Id != id))];
            removed = _subscriptions.Length - keep.Length;
            Volatile.Write(ref _subscriptions, keep);
        }

        if (id is not null && removed == 0)
        {
            return CommandResult.Fail(CanErrorCodes.UnknownSubscription, $"'{ctx.From}' has no CAN subscription '{id}'.");
        }

        CanLog.Unsubscribed(_logger, ctx.From, removed);
        return CommandResult.Ok(w => w.WriteNumber("removed", removed));
    }

    private async ValueTask<CommandResult> SendAsync(CommandContext ctx, CancellationToken ct)
    {
        CommandResult Refuse(string code, string message)
        {
            Interlocked.Increment(ref _refused);
            _sendCounter.Add(1, new KeyValuePair<string, object?>("outcome", code));
            CanLog.SendRefused(_logger, ctx.From, code, message);
            return CommandResult.Fail(code, message);
        }

        if (!ctx.TryGetParam("id", out JsonElement idParam))
        {
            return Refuse(CanErrorCodes.InvalidParams, "id is required: \"123\" (standard) or \"18FF50E5\" (extended).");
        }

        bool extendedFlag = ctx.TryGetParam("extended", out JsonElement ext) && ext.ValueKind == JsonValueKind.True;
        if (!TryReadId(idParam, extendedFlag, out uint id, out bool extended, out string? idError))
        {
            return Refuse(CanErrorCodes.InvalidParams, idError!);
        }

        string idText = CanIds.Format(id, extended);
        if (!_sendAllowed.TryGetValue(CanIds.Key(id, extended), out TokenBucket? bucket))
        {
            return Refuse(CanErrorCodes.IdNotAllowed,
                $"{(extended ? "Extended" : "Standard")} id {idText} is not on the send allow-list (Meowstik:Can:SendAllowList); a standard and an extended id of the same number are different ids.");
        }

        CanFrame frame;
        bool hasData = ctx.TryGetParam("data", out JsonElement dataParam) && dataParam.ValueKind != JsonValueKind.Null;
        bool hasSignals = ctx.TryGetParam("signals", out JsonElement signalsParam) && signalsParam.ValueKind != JsonValueKind.Null;
        if (hasData == hasSignals)
        {
            return Refuse(CanErrorCodes.InvalidParams, "Give either data (hex, up to 8 bytes) or signals (an object of DBC signal values).");
        }

        if (hasData)
        {
            string? hex = dataParam.ValueKind == JsonValueKind.String ? dataParam.GetString() : null;
            if (hex is null || hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
            {
                return Refuse(CanErrorCodes.InvalidParams, "data must be a hex string of whole bytes, e.g. \"DEADBEEF\".");
            }

            if (hex.Length > 2 * CanFrame.MaxDataLength)
            {
                return Refuse(CanErrorCodes.PayloadTooLarge, $"data is {hex.Length / 2} bytes; a classic CAN frame carries at most 8.");
            }

            frame = new CanFrame(id, Convert.FromHexString(hex), extended ? CanFrameFlags.Extended : CanFrameFlags.None);
        }
        else
        {
            if (_dbc is null || !_dbc.TryGetMessage(id, extended, out DbcMessage? message))
            {
                return Refuse(CanErrorCodes.EncodeFailed, $"No DBC message defines id {idText}: send data instead.");
            }

            if (signalsParam.ValueKind != JsonValueKind.Object)
            {
                return Refuse(CanErrorCodes.InvalidParams, "signals must be an object of signal name to number.");
            }

            var values = new List<KeyValuePair<string, double>>();
            foreach (JsonProperty p in signalsParam.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number || values.Count >= 64)
                {
                    return Refuse(CanErrorCodes.InvalidParams, $"signal '{p.Name}' must be a number (at most 64 signals).");
                }

                values.Add(new(p.Name, p.Value.GetDouble()));
            }

            if (!message.TryEncode(values, out frame, out string? encodeError))
            {
                return Refuse(CanErrorCodes.EncodeFailed, encodeError!);
            }
        }

        if (_sender is null)
        {
            return Refuse(CanErrorCodes.SendUnavailable, $"The CAN source {_source.InterfaceName} cannot send (a replayed log).");
        }

        if (!bucket.TryTake())
        {
            return Refuse(CanErrorCodes.RateLimited,
                $"Id {idText} is over its send rate ({_options.SendRatePerSecond.ToString(CultureInfo.InvariantCulture)}/s, burst {_options.SendBurst}; Meowstik:Can:SendRatePerSecond).");
        }

        try
        {
            await _sender.SendAsync(frame, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            return Refuse(CanErrorCodes.SendUnavailable, $"The bus refused the frame: {e.Message}");
        }

        Interlocked.Increment(ref _sent);
        _sendCounter.Add(1, new KeyValuePair<string, object?>("outcome", "sent"));
        string text = frame.ToString();
        CanLog.Sent(_logger, ctx.From, text, _source.InterfaceName);
        return CommandResult.Ok(w => w.WriteString("frame", text));
    }

    private void WriteStats(Utf8JsonWriter w)
    {
        double fps, bps;
        lock (_gate)
        {
            Roll(_time.GetTimestamp());
            (fps, bps) = (_framesPerSecond, _bitsPerSecond);
        }

        w.WriteString("interface", _source.InterfaceName);
        w.WriteNumber("frames", Interlocked.Read(ref _frames));
        w.WriteNumber("frames_per_second", Math.Round(fps, 1));
        w.WriteNumber("bus_load_percent", Math.Round(100 * bps / _options.Bitrate, 2));
        w.WriteNumber("bitrate", _options.Bitrate);
        w.WriteNumber("error_frames", Interlocked.Read(ref _errorFrames));
        w.WriteNumber("unknown_frames", Interlocked.Read(ref _unknownFrames));
        w.WriteNumber("sent", Interlocked.Read(ref _sent));
        w.WriteNumber("send_refused", Interlocked.Read(ref _refused));
        w.WriteNumber("chunks", Interlocked.Read(ref _chunks));
        w.WriteNumber("subscriptions", SubscriptionCount);
    }

    /// <summary>Closes the rate window when a second or more has passed (under <see cref="_gate"/>).</summary>
    private void Roll(long now)
    {
        long elapsed = now - _windowStart;
        if (elapsed >= _time.TimestampFrequency)
        {
            double seconds = (double)elapsed / _time.TimestampFrequency;
            _framesPerSecond = _windowFrames / seconds;
            _bitsPerSecond = _windowBits / seconds;
            _windowStart = now;
            _windowFrames = 0;
            _windowBits = 0;
        }
    }

    /// <summary>Bits a frame occupies on the wire, before bit stuffing: 47 + 8·n standard, 67 + 8·n extended.</summary>
    private static int BitsOnWire(in CanFrame frame) =>
        (frame.IsExtended ? 67 : 47) + (frame.IsRemote || frame.IsError ? 0 : 8 * frame.Length);

    private static bool TryReadId(JsonElement e, bool extendedFlag, out uint id, out bool extended, out string? error)
    {
        error = null;
        if (e.ValueKind == JsonValueKind.String && CanIds.TryParse(e.GetString(), out id, out extended))
        {
            if (extendedFlag && !extended)
            {
                error = "extended is true but the id has 3 hex digits (standard); write extended ids with 8 digits, e.g. 00000123.";
                return false;
            }

            return true;
        }

        if (e.ValueKind == JsonValueKind.Number && e.TryGetUInt32(out id))
        {
            extended = extendedFlag || id > CanFrame.MaxStandardId;
            if (id <= CanFrame.MaxExtendedId)
            {
                return true;
            }
        }

        id = 0;
        extended = false;
        error = $"'{e.GetRawText()}' is not a CAN id: \"123\" (3 hex digits, standard), \"18FF50E5\" (8, extended), or a number (with extended: true for an extended id below 0x800).";
        return false;
    }

    private sealed class ParamException(string message) : Exception(message);

    private sealed class Subscription(string id, string owner, string? to, bool raw, HashSet<ulong>? ids, HashSet<string>? signals, long intervalTicks)
    {
        private readonly Dictionary<DbcSignal, long> _lastSignal = [];
        private readonly Dictionary<ulong, long> _lastId = [];
        private long _index;

        public string Id => id;

        public string Owner => owner;

        public string? To => to;

        public bool Raw => raw;

        public bool Matches(in CanFrame frame) => ids is null || ids.Contains(CanIds.Key(frame.Id, frame.IsExtended));

        public bool Wants(DbcSignal signal) => signals is null || signals.Contains(signal.Name);

        /// <summary>Whether the signal may be sent again now; if so, marks it sent.</summary>
        public bool Due(DbcSignal key, long now) => Due(_lastSignal, key, now);

        /// <summary>Whether a raw frame of this id key may be sent again now; if so, marks it sent.</summary>
        public bool Due(ulong key, long now) => Due(_lastId, key, now);

        private bool Due<TKey>(Dictionary<TKey, long> last, TKey key, long now)
            where TKey : notnull
        {
            if (last.TryGetValue(key, out long at) && now - at < intervalTicks)
            {
                return false;
            }

            last[key] = now;
            return true;
        }

        public long NextIndex() => _index++;
    }

    private sealed class TokenBucket(int burst, double ratePerSecond, TimeProvider time)
    {
        private readonly Lock _gate = new();
        private double _tokens = burst;
        private long _last = time.GetTimestamp();

        public bool TryTake()
        {
            lock (_gate)
            {
                long now = time.GetTimestamp();
                _tokens = Math.Min(burst, _tokens + (ratePerSecond * (now - _last) / time.TimestampFrequency));
                _last = now;
                if (_tokens < 1)
                {
                    return false;
                }

                _tokens -= 1;
                return true;
            }
        }
    }

    /// <summary>The newest frame of one DBC message (written by the reading loop, read by queries).</summary>
    private sealed class LatestFrame(DbcMessage message)
    {
        private readonly Lock _gate = new();
        private CanFrame _frame;
        private DateTimeOffset _at;
        private bool _seen;

        public DbcMessage Message { get; } = message;

        public void Set(in CanFrame frame, DateTimeOffset at)
        {
            lock (_gate)
            {
                _frame = frame;
                _at = at;
                _seen = true;
            }
        }

        public bool TryGet(out CanFrame frame, out DateTimeOffset at)
        {
            lock (_gate)
            {
                frame = _frame;
                at = _at;
                return _seen;
            }
        }
    }
}
