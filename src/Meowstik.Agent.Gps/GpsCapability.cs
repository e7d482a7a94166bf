using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Gps;

/// <summary>
/// The <c>gps</c> capability. Queries <c>gps.position</c> (the latest fix) and <c>gps.eta</c> (great-circle distance and ETA
/// to <c>lat</c>/<c>lng</c>); commands <c>gps.track</c> (stream fixes as <c>stream_type</c> <c>gps</c> chunks of JSON, at
/// <c>rate_hz</c> up to <see cref="GpsOptions.TrackMaxRateHz"/>; <c>stop: true</c> ends it) and <c>gps.untrack</c>.
/// Chunks go to the hub, which forwards them to the device's <c>gps</c> stream subscribers (<c>subscribe_stream</c>; the
/// hub checks who may observe), at the fastest rate any tracker asked for; with <c>direct: true</c> they go to the requester
/// alone, which the hub allows only when this device's token is granted that target.
/// It reads its <see cref="IGpsSource"/> for the agent's lifetime.
/// </summary>
public sealed class GpsCapability : MeshCapability
{
    /// <summary>The stream type of <c>gps.track</c> chunks.</summary>
    public const string StreamType = "gps";

    /// <summary>Error code: no current fix (none yet, the receiver reports no fix, or the last one is stale).</summary>
    public const string NoFixError = "no_fix";

    /// <summary>Error code: current and average speed are both below <see cref="GpsOptions.StationarySpeed"/>.</summary>
    public const string StationaryError = "stationary";

    /// <summary>Error code: a parameter is missing or out of range.</summary>
    public const string InvalidParamsError = "invalid_params";

    /// <summary>Error code: <see cref="GpsOptions.MaxTrackers"/> requesters already track.</summary>
    public const string TooManyTrackersError = "too_many_trackers";

    private readonly IGpsSource _source;
    private readonly GpsOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly GpsInstruments _instruments;
    private readonly ConcurrentDictionary<string, Tracker> _trackers = new(StringComparer.Ordinal);
    private readonly Queue<(DateTimeOffset At, double Speed)> _speeds = new();
    private readonly Lock _speedLock = new();
    private readonly Lock _hubStreamLock = new();
    private DateTimeOffset _hubLastSent = DateTimeOffset.MinValue;
    private long _hubSequence;
    private volatile Received? _latest;

    /// <summary>Creates the capability.</summary>
    /// <param name="source">Where fixes come from.</param>
    /// <param name="options">The options; defaults when null.</param>
    /// <param name="logger">Logs track starts/stops and source failures.</param>
    /// <param name="timeProvider">Staleness, averages and track rates; the system clock by default.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Gps</c> meter.</param>
    public GpsCapability(IGpsSource source, GpsOptions? options = null, ILogger<GpsCapability>? logger = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
        : base("gps")
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _options = options ?? new GpsOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _instruments = new GpsInstruments(meterFactory);
        HandleQuery("gps.position", Position);
        HandleQuery("gps.eta", Eta);
        Handle("gps.track", Track);
        Handle("gps.untrack", ctx => Untrack(ctx.From));
    }

    /// <summary>The latest fix read (with or without a position), or null before the first.</summary>
    public GpsFix? LatestFix => _latest?.Fix;

    /// <summary>The requesters streaming <c>gps.track</c> now.</summary>
    public IReadOnlyCollection<string> Trackers => [.. _trackers.Keys];

    /// <summary>Reads the source until cancelled, restarting it with a delay if it fails.</summary>
    /// <param name="publisher">Where <c>gps.track</c> chunks go.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the agent stops or a finite source ends.</returns>
    public override async Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        var backoff = new Backoff(_options.ReconnectInitialDelay, _options.ReconnectMaxDelay);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (GpsFix fix in _source.ReadFixesAsync(cancellationToken).ConfigureAwait(false))
                {
                    backoff.Reset();
                    Ingest(fix, publisher);
                }

                GpsLog.SourceEnded(_logger, _source.Description);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                TimeSpan delay = backoff.Next();
                GpsLog.SourceFailed(_logger, e, _source.Description, (long)delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Takes one fix: the latest for queries, a speed sample for the average, a chunk for each due tracker.</summary>
    internal void Ingest(GpsFix fix, IMeshPublisher? publisher)
    {
        DateTimeOffset now = _time.GetUtcNow();
        _latest = new Received(fix, now);
        if (fix.HasPosition)
        {
            lock (_speedLock)
            {
                _speeds.Enqueue((now, fix.SpeedMetersPerSecond ?? 0));
                Trim(now);
            }
        }

        if (publisher is null || _trackers.IsEmpty)
        {
            return;
        }

        byte[]? data = null;
        TimeSpan shared = TimeSpan.MaxValue;
        foreach ((string requester, Tracker tracker) in _trackers)
        {
            if (!tracker.Direct)
            {
                shared = tracker.Interval < shared ? tracker.Interval : shared;
                continue;
            }

            if (now - tracker.LastSent >= tracker.Interval)
            {
                data ??= FixJson(fix, now);
                tracker.LastSent = now;
                Send(publisher, data, tracker.Sequence++, requester);
            }
        }

        lock (_hubStreamLock)
        {
            if (shared != TimeSpan.MaxValue && now - _hubLastSent >= shared)
            {
                data ??= FixJson(fix, now);
                _hubLastSent = now;
                Send(publisher, data, _hubSequence++, null);
            }
        }
    }

    private void Send(IMeshPublisher publisher, byte[] data, long index, string? to)
    {
        if (publisher.PublishStreamChunk(new OutgoingStreamChunk { StreamType = StreamType, Codec = "json", ChunkIndex = index, Data = data, To = to }))
        {
            _instruments.TrackChunks.Add(1);
        }
    }

    /// <summary>The mean speed (m/s) over <see cref="GpsOptions.AverageSpeedWindow"/>, or null without samples.</summary>
    internal double? AverageSpeed()
    {
        lock (_speedLock)
        {
            Trim(_time.GetUtcNow());
            return _speeds.Count == 0 ? null : _speeds.Average(s => s.Speed);
        }
    }

    internal static string FixName(GpsFixMode mode) => mode switch
    {
        GpsFixMode.ThreeD => "3d",
        GpsFixMode.TwoD => "2d",
        _ => "none",
    };

    private void Trim(DateTimeOffset now)
    {
        while (_speeds.Count > 0 && now - _speeds.Peek().At > _options.AverageSpeedWindow)
        {
            _speeds.Dequeue();
        }
    }

    private bool TryCurrent(out GpsFix fix, out CommandResult error)
    {
        Received? latest = _latest;
        DateTimeOffset now = _time.GetUtcNow();
        if (latest is null)
        {
            (fix, error) = (null!, CommandResult.Fail(NoFixError, $"No GPS fix: {_source.Description} has reported nothing yet."));
            return false;
        }

        if (now - latest.At > _options.StaleAfter)
        {
            (fix, error) = (null!, CommandResult.Fail(NoFixError, $"No GPS fix: the last report from {_source.Description} is {(now - latest.At).TotalSeconds:0} s old (stale after {_options.StaleAfter.TotalSeconds:0.#} s)."));
            return false;
        }

        if (!latest.Fix.HasPosition)
        {
            (fix, error) = (null!, CommandResult.Fail(NoFixError, $"No GPS fix: {_source.Description} reports no fix (the receiver sees too few satellites)."));
            return false;
        }

        (fix, error) = (latest.Fix, null!);
        return true;
    }

    private CommandResult Position(CommandContext context) =>
        TryCurrent(out GpsFix fix, out CommandResult error) ? CommandResult.Ok(w => WriteFix(w, fix, _latest!.At)) : error;

    private CommandResult Eta(CommandContext context)
    {
        if (!TryCoordinate(context, "lat", 90, out double lat, out CommandResult? bad) || !TryCoordinate(context, "lng", 180, out double lng, out bad))
        {
            return bad!;
        }

        if (!TryCurrent(out GpsFix fix, out CommandResult error))
        {
            return error;
        }

        double distance = GeoMath.HaversineMeters(fix.Latitude!.Value, fix.Longitude!.Value, lat, lng);
        double current = fix.SpeedMetersPerSecond ?? 0;
        double? average = AverageSpeed();
        double? etaCurrent = current >= _options.StationarySpeed && current > 0 ? distance / current : null;
        double? etaAverage = average is { } a && a >= _options.StationarySpeed && a > 0 ? distance / a : null;
        if (etaCurrent is null && etaAverage is null)
        {
            return CommandResult.Fail(StationaryError,
                $"Stationary: current speed {current:0.0} m/s and {_options.AverageSpeedWindow.TotalMinutes:0.#}-minute average {average ?? 0:0.0} m/s are below {_options.StationarySpeed:0.0#} m/s, so there is no ETA; the destination is {distance / 1000:0.0} km away.");
        }

        double eta = etaAverage ?? etaCurrent!.Value;
        DateTimeOffset now = _time.GetUtcNow();
        return CommandResult.Ok(w =>
        {
            w.WriteNumber("distance_m", Math.Round(distance, 1));
            w.WriteNumber("distance_km", Math.Round(distance / 1000, 3));
            w.WriteNumber("distance_mi", Math.Round(distance / GeoMath.MetersPerMile, 3));
            w.WriteNumber("speed_mps", Math.Round(current, 2));
            if (average is { } avg)
            {
                w.WriteNumber("average_speed_mps", Math.Round(avg, 2));
            }
            else
            {
                w.WriteNull("average_speed_mps");
            }

            WriteSeconds(w, "eta_current_s", etaCurrent);
            WriteSeconds(w, "eta_average_s", etaAverage);
            w.WriteNumber("eta_s", Math.Round(eta));
            w.WriteNumber("eta_minutes", Math.Round(eta / 60, 1));
            w.WriteString("arrival", now.AddSeconds(eta).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("basis", etaAverage is null ? "current" : "average");
        });
    }

    private static void WriteSeconds(Utf8JsonWriter w, string name, double? seconds)
    {
        if (seconds is { } s)
        {
            w.WriteNumber(name, Math.Round(s));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static bool TryCoordinate(CommandContext context, string name, double limit, out double value, out CommandResult? error)
    {
        value = 0;
        error = null;
        if (!context.TryGetParam(name, out JsonElement e) || e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out value)
            || !double.IsFinite(value) || Math.Abs(value) > limit)
        {
            error = CommandResult.Fail(InvalidParamsError, $"gps.eta needs the destination as numbers: '{name}' in degrees between -{limit} and {limit}, e.g. {{\"lat\":46.9582,\"lng\":-124.1615}}.");
            return false;
        }

        return true;
    }

    private CommandResult Track(CommandContext context)
    {
        if (context.TryGetParam("stop", out JsonElement stop) && stop.ValueKind == JsonValueKind.True)
        {
            return Untrack(context.From);
        }

        double rate = _options.TrackMaxRateHz;
        if (context.TryGetParam("rate_hz", out JsonElement r))
        {
            if (r.ValueKind != JsonValueKind.Number || !r.TryGetDouble(out rate) || !double.IsFinite(rate) || rate <= 0)
            {
                return CommandResult.Fail(InvalidParamsError, $"gps.track: 'rate_hz' must be a number above 0 (at most {_options.TrackMaxRateHz} Hz).");
            }

            rate = Math.Min(rate, _options.TrackMaxRateHz);
        }

        bool direct = context.TryGetParam("direct", out JsonElement d) && d.ValueKind == JsonValueKind.True;
        var tracker = new Tracker(TimeSpan.FromSeconds(1 / rate), direct);
        bool replaced = false;
        Tracker current = _trackers.AddOrUpdate(context.From, tracker, (_, _) =>
        {
            replaced = true;
            return tracker;
        });
        if (!replaced && _trackers.Count > _options.MaxTrackers)
        {
            _trackers.TryRemove(new KeyValuePair<string, Tracker>(context.From, current));
            return CommandResult.Fail(TooManyTrackersError, $"gps.track: {_options.MaxTrackers} requesters already track this device; stop one first (gps.untrack).");
        }

        GpsLog.TrackStarted(_logger, context.From, rate);
        return CommandResult.Ok(w =>
        {
            w.WriteBoolean("tracking", true);
            w.WriteString("stream_type", StreamType);
            w.WriteNumber("rate_hz", rate);
            if (direct)
            {
                w.WriteString("to", context.From);
            }
            else
            {
                // The hub forwards the device's stream to those who subscribed to it (and may observe this device).
                w.WriteString("to", "subscribers");
                w.WriteStartObject("subscribe");
                w.WriteString("action", "subscribe_stream");
                w.WriteString("device_id", context.Publisher.DeviceId);
                w.WriteString("stream_type", StreamType);
                w.WriteEndObject();
            }
        });
    }

    private CommandResult Untrack(string requester)
    {
        bool removed = _trackers.TryRemove(requester, out _);
        if (removed)
        {
            GpsLog.TrackStopped(_logger, requester);
        }

        return CommandResult.Ok(w =>
        {
            w.WriteBoolean("tracking", false);
            w.WriteBoolean("stopped", removed);
        });
    }

    private static byte[] FixJson(GpsFix fix, DateTimeOffset received)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            WriteFix(w, fix, received);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteFix(Utf8JsonWriter w, GpsFix fix, DateTimeOffset received)
    {
        WriteOptional(w, "lat", fix.Latitude);
        WriteOptional(w, "lng", fix.Longitude);
        WriteOptional(w, "alt_m", fix.AltitudeMeters);
        WriteOptional(w, "speed_mps", fix.SpeedMetersPerSecond is { } s ? Math.Round(s, 3) : null);
        WriteOptional(w, "speed_mph", fix.SpeedMilesPerHour is { } mph ? Math.Round(mph, 2) : null);
        WriteOptional(w, "heading", fix.HeadingDegrees);
        w.WriteString("fix", FixName(fix.Mode));
        WriteOptional(w, "accuracy_m", fix.HorizontalAccuracyMeters is { } acc ? Math.Round(acc, 2) : null);
        if (fix.Satellites is { } sats)
        {
            w.WriteNumber("satellites", sats);
        }

        if (fix.Time is { } time)
        {
            w.WriteString("time", time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        }
        else
        {
            w.WriteNull("time");
        }

        w.WriteString("received", received.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private sealed record Received(GpsFix Fix, DateTimeOffset At);

    private sealed class Tracker(TimeSpan interval, bool direct)
    {
        public TimeSpan Interval { get; } = interval;

        public bool Direct { get; } = direct;

        public DateTimeOffset LastSent { get; set; } = DateTimeOffset.MinValue;

        public long Sequence { get; set; }
    }
}
