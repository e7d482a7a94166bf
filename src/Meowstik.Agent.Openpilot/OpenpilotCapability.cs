using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Openpilot;

/// <summary>
/// The <c>openpilot</c> capability: reads a Comma device's own live data from openpilot (never controls anything).
/// Query <c>openpilot.state</c> (speed, cruise, engagement, driver attention, alerts, GPS); commands
/// <c>openpilot.subscribe</c> (a throttled stream of the same state as <c>stream_type</c> <c>openpilot</c> JSON chunks, at
/// <c>rate_hz</c> up to <see cref="OpenpilotOptions.StreamMaxRateHz"/>; <c>stop: true</c> ends it; <c>direct: true</c>
/// sends to the requester alone) and <c>openpilot.unsubscribe</c>. An app on the same device reads <see cref="Latest"/>.
/// </summary>
public sealed class OpenpilotCapability : MeshCapability
{
    /// <summary>The stream type of <c>openpilot.subscribe</c> chunks.</summary>
    public const string StreamType = "openpilot";

    /// <summary>Error code: no service has published within <see cref="OpenpilotOptions.StaleAfter"/>.</summary>
    public const string UnavailableError = "unavailable";

    /// <summary>Error code: a parameter is missing or out of range.</summary>
    public const string InvalidParamsError = "invalid_params";

    /// <summary>Error code: <see cref="OpenpilotOptions.MaxSubscribers"/> requesters already subscribe.</summary>
    public const string TooManySubscribersError = "too_many_subscribers";

    private readonly IOpenpilotSource _source;
    private readonly OpenpilotOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly OpenpilotInstruments _instruments;
    private readonly OpenpilotStateStore _store;
    private readonly ConcurrentDictionary<string, Subscriber> _subscribers = new(StringComparer.Ordinal);
    private readonly OpenpilotMessageHandler _handler;
    private DateTimeOffset _hubLastSent = DateTimeOffset.MinValue;
    private long _hubSequence;

    /// <summary>Creates the capability.</summary>
    /// <param name="source">Where messages come from.</param>
    /// <param name="options">The options; defaults when null.</param>
    /// <param name="logger">Logs source failures and stream starts/stops.</param>
    /// <param name="timeProvider">Staleness and stream rates; the system clock by default.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Openpilot</c> meter.</param>
    public OpenpilotCapability(IOpenpilotSource source, OpenpilotOptions? options = null, ILogger<OpenpilotCapability>? logger = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
        : base("openpilot")
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
        _options = options ?? new OpenpilotOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _instruments = new OpenpilotInstruments(meterFactory);
        _store = new OpenpilotStateStore(_options.StaleAfter);
        _handler = (service, message) => Ingest(service, message);
        HandleQuery("openpilot.state", State);
        Handle("openpilot.subscribe", Subscribe);
        Handle("openpilot.unsubscribe", ctx => Unsubscribe(ctx.From));
    }

    /// <summary>The latest combined state (a new immutable snapshot each time; stale services are null).</summary>
    public OpenpilotState Latest => _store.Snapshot(_time.GetUtcNow());

    /// <summary>The source's description, e.g. <c>msgq /dev/shm</c>.</summary>
    public string SourceDescription => _source.Description;

    /// <summary>The requesters streaming now.</summary>
    public IReadOnlyCollection<string> Subscribers => [.. _subscribers.Keys];

    /// <summary>Decodes one serialized <c>Event</c> and keeps what it says (what the source does for each message).</summary>
    /// <param name="service">The service it came from (for logs).</param>
    /// <param name="message">The framed, unpacked Cap'n Proto bytes.</param>
    /// <returns><see cref="CapnpError.None"/>, or why the message was dropped.</returns>
    public CapnpError Ingest(string service, ReadOnlySpan<byte> message)
    {
        CapnpError error = _store.Apply(message, _time.GetUtcNow(), out OpenpilotEventKind kind);
        _instruments.Messages.Add(1, new KeyValuePair<string, object?>("result", error == CapnpError.None && kind == OpenpilotEventKind.Unknown ? "unknown" : OpenpilotInstruments.Tag(error)));
        if (error != CapnpError.None)
        {
            OpenpilotLog.Dropped(_logger, service, error);
        }

        return error;
    }

    /// <summary>Reads the source and streams to subscribers until the agent stops; a failing source restarts after a delay.</summary>
    /// <param name="publisher">Where stream chunks go.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the agent stops.</returns>
    public override async Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        Task streaming = StreamAsync(publisher, cancellationToken);
        OpenpilotLog.Started(_logger, _source.Description, string.Join(',', _source.Services));
        TimeSpan delay = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _source.RunAsync(_handler, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                OpenpilotLog.SourceFailed(_logger, e, _source.Description, (long)delay.TotalMilliseconds);
            }

            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }

        await streaming.ConfigureAwait(false);
    }

    /// <summary>Sends the state to each subscriber that is due; the shared hub stream goes at the fastest rate asked for.</summary>
    internal void PublishDue(IMeshPublisher publisher)
    {
        if (_subscribers.IsEmpty)
        {
            return;
        }

        DateTimeOffset now = _time.GetUtcNow();
        byte[]? data = null;
        TimeSpan shared = TimeSpan.MaxValue;
        foreach ((string requester, Subscriber subscriber) in _subscribers)
        {
            if (!subscriber.Direct)
            {
                shared = subscriber.Interval < shared ? subscriber.Interval : shared;
                continue;
            }

            if (now - subscriber.LastSent >= subscriber.Interval)
            {
                data ??= StateJson(now);
                subscriber.LastSent = now;
                Send(publisher, data, subscriber.Sequence++, requester);
            }
        }

        if (shared != TimeSpan.MaxValue && now - _hubLastSent >= shared)
        {
            data ??= StateJson(now);
            _hubLastSent = now;
            Send(publisher, data, _hubSequence++, null);
        }
    }

    private async Task StreamAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
    {
        TimeSpan tick = TimeSpan.FromSeconds(1 / _options.StreamMaxRateHz);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(tick, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            PublishDue(publisher);
        }
    }

    private void Send(IMeshPublisher publisher, byte[] data, long index, string? to)
    {
        if (publisher.PublishStreamChunk(new OutgoingStreamChunk { StreamType = StreamType, Codec = "json", ChunkIndex = index, Data = data, To = to }))
        {
            _instruments.StreamChunks.Add(1);
        }
    }

    private byte[] StateJson(DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            _store.Snapshot(now).WriteTo(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private CommandResult State(CommandContext context)
    {
        OpenpilotState state = Latest;
        if (!state.IsAvailable)
        {
            return CommandResult.Fail(UnavailableError,
                $"No openpilot data: none of {string.Join(", ", _source.Services)} has published through {_source.Description} in the last {_options.StaleAfter.TotalSeconds:0.#} s (is openpilot running on this device?).");
        }

        return CommandResult.Ok(state.WriteTo);
    }

    private CommandResult Subscribe(CommandContext context)
    {
        if (context.TryGetParam("stop", out JsonElement stop) && stop.ValueKind == JsonValueKind.True)
        {
            return Unsubscribe(context.From);
        }

        double rate = Math.Min(1, _options.StreamMaxRateHz);
        if (context.TryGetParam("rate_hz", out JsonElement r))
        {
            if (r.ValueKind != JsonValueKind.Number || !r.TryGetDouble(out rate) || !double.IsFinite(rate) || rate <= 0)
            {
                return CommandResult.Fail(InvalidParamsError, $"openpilot.subscribe: 'rate_hz' must be a number above 0 (at most {_options.StreamMaxRateHz} Hz).");
            }

            rate = Math.Min(rate, _options.StreamMaxRateHz);
        }

        bool direct = context.TryGetParam("direct", out JsonElement d) && d.ValueKind == JsonValueKind.True;
        var subscriber = new Subscriber(TimeSpan.FromSeconds(1 / rate), direct);
        bool replaced = false;
        Subscriber current = _subscribers.AddOrUpdate(context.From, subscriber, (_, _) =>
        {
            replaced = true;
            return subscriber;
        });
        if (!replaced && _subscribers.Count > _options.MaxSubscribers)
        {
            _subscribers.TryRemove(new KeyValuePair<string, Subscriber>(context.From, current));
            return CommandResult.Fail(TooManySubscribersError, $"openpilot.subscribe: {_options.MaxSubscribers} requesters already subscribe to this device; stop one first (openpilot.unsubscribe).");
        }

        OpenpilotLog.SubscribeStarted(_logger, context.From, rate);
        return CommandResult.Ok(w =>
        {
            w.WriteBoolean("subscribed", true);
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

    private CommandResult Unsubscribe(string requester)
    {
        bool removed = _subscribers.TryRemove(requester, out _);
        if (removed)
        {
            OpenpilotLog.SubscribeStopped(_logger, requester);
        }

        return CommandResult.Ok(w =>
        {
            w.WriteBoolean("subscribed", false);
            w.WriteBoolean("stopped", removed);
        });
    }

    private sealed class Subscriber(TimeSpan interval, bool direct)
    {
        public TimeSpan Interval { get; } = interval;

        public bool Direct { get; } = direct;

        public DateTimeOffset LastSent { get; set; } = DateTimeOffset.MinValue;

        public long Sequence { get; set; }
    }
}
