using System.Buffers;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;

namespace Meowstik.Agent.Iot;

/// <summary>
/// The <c>proxy</c> capability: a bridge from the mesh to sub-devices (lights, TVs, thermostats) behind an MQTT broker,
/// Zigbee2MQTT- or Tasmota-style. Command <c>proxy</c> (the design document's
/// <c>{"action":"proxy","target":"living_room_tv","command":{"action":"power","params":{"state":"on"}}}</c>; <c>target</c> and
/// <c>command</c> may also come in <c>params</c>, which is all <c>MeshAgent.SendCommandAsync</c> can send) publishes the
/// nested command to the target's command topic and answers with the target's next state message. Queries
/// <c>proxy.state</c> (<c>params.target</c>: its last-known state) and <c>proxy.devices</c> (every target). Every state
/// message becomes a <c>proxy.state</c> event. While the broker is unreachable the bridge reconnects (exponential backoff
/// with full jitter) and refuses proxied commands with <see cref="BrokerUnavailableError"/>: nothing is queued, so a command
/// is never carried out late or silently lost.
/// </summary>
public sealed class MqttBridgeCapability : MeshCapability, IDisposable
{
    /// <summary>The event published for every state message of a sub-device.</summary>
    public const string StateEvent = "proxy.state";

    /// <summary>Error code: the broker is not connected, or the connection broke while publishing.</summary>
    public const string BrokerUnavailableError = "broker_unavailable";

    /// <summary>Error code: no configured sub-device has the requested target name.</summary>
    public const string UnknownTargetError = "unknown_target";

    /// <summary>Error code: the command was published but the sub-device sent no state within <see cref="MqttBridgeOptions.StateTimeout"/>.</summary>
    public const string DeviceTimeoutError = "device_timeout";

    /// <summary>Error code: the request lacks a target or a nested command, or its params do not fit the device's style.</summary>
    public const string InvalidParamsError = "invalid_params";

    /// <summary>Error code: the sub-device has sent no state since the bridge started.</summary>
    public const string NoStateError = "no_state";

    private const int MaxStatePayloadBytes = 64 * 1024;

    private readonly MqttBridgeOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IotInstruments _instruments;
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _clientOptions;
    private readonly Dictionary<string, MqttTarget> _targets;
    private readonly Dictionary<string, MqttTarget[]> _byStateTopic;
    private readonly Dictionary<string, DeviceState> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<TaskCompletionSource<DeviceState>>> _waiters = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private TaskCompletionSource _disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IMeshPublisher? _publisher;
    private volatile string? _lastError;

    /// <summary>Creates the bridge; it connects when the agent runs it (<see cref="RunAsync"/>).</summary>
    /// <param name="options">The broker and the sub-devices.</param>
    /// <param name="logger">Logs connects, disconnects and refused commands (never payloads or the password).</param>
    /// <param name="timeProvider">Reconnect delays, state timeouts and state times; the system clock by default.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Iot</c> meter.</param>
    public MqttBridgeCapability(MqttBridgeOptions options, ILogger<MqttBridgeCapability>? logger = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
        : base("proxy")
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _instruments = new IotInstruments(meterFactory);
        _targets = options.Devices.ToDictionary(static d => d.Key, static d => new MqttTarget(d.Key, d.Value), StringComparer.Ordinal);
        _byStateTopic = _targets.Values.GroupBy(static t => t.StateTopic, StringComparer.Ordinal).ToDictionary(static g => g.Key, static g => g.ToArray(), StringComparer.Ordinal);

        MqttClientOptionsBuilder builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.Host, options.Port)
            .WithClientId(options.ClientId ?? "meowstik-iot-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)))
            .WithCleanSession(true)
            .WithTimeout(options.ConnectTimeout);
        if (options.Username is not null)
        {
            builder = builder.WithCredentials(options.Username, options.Password);
        }

        _clientOptions = builder.Build();
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
        HandleQuery("proxy.devices", Devices);
        HandleQuery("proxy.state", State);
        Handle("proxy", ProxyAsync);
    }

    /// <summary>Whether the bridge is connected to the broker now.</summary>
    public bool IsConnected => _client.IsConnected;

    /// <summary>The broker, as <c>mqtt://host:port</c>.</summary>
    public string Broker => $"mqtt://{_options.Host}:{_options.Port}";

    /// <summary>Waits until the bridge is connected and subscribed.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes once connected.</returns>
    public Task WaitUntilConnectedAsync(CancellationToken cancellationToken = default)
    {
        Task connected;
        lock (_lock)
        {
            connected = _connected.Task;
        }

        return connected.WaitAsync(cancellationToken);
    }

    /// <summary>Connects to the broker and keeps connected until the agent stops, reconnecting with backoff.</summary>
    /// <param name="publisher">Where <c>proxy.state</c> events go.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the agent stops.</returns>
    public override async Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        _publisher = publisher;
        var backoff = new ExponentialBackoffPolicy { InitialDelay = _options.ReconnectInitialDelay, MaxDelay = _options.ReconnectMaxDelay };
        int attempt = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Exception? failure = null;
                try
                {
                    Task disconnected = await ConnectAsync(cancellationToken).ConfigureAwait(false);
                    long connectedAt = _time.GetTimestamp();
                    await disconnected.WaitAsync(cancellationToken).ConfigureAwait(false);
                    if (_time.GetElapsedTime(connectedAt) >= _options.ReconnectMaxDelay)
                    {
                        // A connection that held is a fresh start; one that keeps dropping at once keeps backing off.
                        attempt = 0;
                    }

                    IotLog.MqttDisconnected(_logger, Broker, _lastError ?? "closed");
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    failure = e;
                    _lastError = e.Message;
                }

                attempt++;
                TimeSpan delay = backoff.NextDelay(attempt, failure);
                IotLog.MqttRetrying(_logger, Broker, failure?.Message ?? _lastError ?? "disconnected", (long)delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _publisher = null;
            await DisconnectQuietlyAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the MQTT client.</summary>
    public void Dispose()
    {
        _client.ApplicationMessageReceivedAsync -= OnMessageAsync;
        _client.DisconnectedAsync -= OnDisconnectedAsync;
        _client.Dispose();
    }

    private async Task<Task> ConnectAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource disconnected = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _disconnected = disconnected;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
        }

        try
        {
            await _client.ConnectAsync(_clientOptions, timeout.Token).ConfigureAwait(false);
            MqttClientSubscribeOptionsBuilder subscribe = new MqttClientSubscribeOptionsBuilder();
            foreach (string topic in _byStateTopic.Keys)
            {
                subscribe = subscribe.WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce);
            }

            await _client.SubscribeAsync(subscribe.Build(), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The broker {Broker} did not answer within {_options.ConnectTimeout.TotalSeconds:0.#} s.");
        }

        _instruments.MqttConnects.Add(1);
        _lastError = null;
        lock (_lock)
        {
            _connected.TrySetResult();
        }

        IotLog.MqttConnected(_logger, Broker, _targets.Count);
        return disconnected.Task;
    }

    private async Task DisconnectQuietlyAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Stopping: the broker may be gone already.
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (e.Exception is { } ex)
        {
            _lastError = ex.Message;
        }

        lock (_lock)
        {
            if (_connected.Task.IsCompleted)
            {
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _disconnected.TrySetResult();
        }

        return Task.CompletedTask;
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        MqttApplicationMessage message = e.ApplicationMessage;
        if (!_byStateTopic.TryGetValue(message.Topic, out MqttTarget[]? targets) || message.Payload.Length > MaxStatePayloadBytes)
        {
            return Task.CompletedTask;
        }

        _instruments.MqttMessages.Add(1);
        byte[] update = UpdateJson(message.Payload);
        DateTimeOffset now = _time.GetUtcNow();
        foreach (MqttTarget target in targets)
        {
            IotLog.StateReceived(_logger, target.Name, message.Topic);
            DeviceState state;
            List<TaskCompletionSource<DeviceState>>? waiters;
            lock (_lock)
            {
                _states.TryGetValue(target.Name, out DeviceState? previous);
                state = new DeviceState(Merge(previous?.State, update), update, now, (previous?.Updates ?? 0) + 1);
                _states[target.Name] = state;
                if (_waiters.Remove(target.Name, out waiters))
                {
                    // Completed outside the lock.
                }
            }

            if (waiters is not null)
            {
                foreach (TaskCompletionSource<DeviceState> waiter in waiters)
                {
                    waiter.TrySetResult(state);
                }
            }

            _publisher?.PublishEvent(StateEvent, MeshJson.Object(w => WriteState(w, target, state)));
        }

        return Task.CompletedTask;
    }

    private async ValueTask<CommandResult> ProxyAsync(CommandContext context, CancellationToken cancellationToken)
    {
        if (!TryTarget(context, out MqttTarget? target, out CommandResult? error))
        {
            return Count(error);
        }

        // The design document's form carries target and command in the payload; a MeshAgent controller, whose
        // SendCommandAsync sends params only, may put them in params instead.
        if (!(TryProperty(context.Payload, "command", out JsonElement command) || TryProperty(context.Params, "command", out command))
            || command.ValueKind != JsonValueKind.Object
            || !command.TryGetProperty("action", out JsonElement actionElement) || actionElement.ValueKind != JsonValueKind.String
            || actionElement.GetString() is not { Length: > 0 } action)
        {
            return Count(CommandResult.Fail(InvalidParamsError,
                "proxy needs the nested command: {\"action\":\"proxy\",\"target\":\"living_room_tv\",\"command\":{\"action\":\"power\",\"params\":{\"state\":\"on\"}}}."));
        }

        JsonElement parameters = command.TryGetProperty("params", out JsonElement p) ? p : default;
        if (!MqttTopics.TryEncode(target, action, parameters, out string topic, out byte[] payload, out string? encodeError))
        {
            return Count(CommandResult.Fail(InvalidParamsError, $"proxy {target.Name}: {encodeError}"));
        }

        if (!_client.IsConnected)
        {
            IotLog.ProxyFailed(_logger, target.Name, action, BrokerUnavailableError);
            return Count(CommandResult.Fail(BrokerUnavailableError,
                $"proxy {target.Name}: the MQTT broker {Broker} is not connected ({_lastError ?? "connecting"}); nothing was sent, try again when it is back."));
        }

        TaskCompletionSource<DeviceState>? waiter = target.WaitForState ? AddWaiter(target.Name) : null;
        try
        {
            MqttApplicationMessage message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(payload)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();
            MqttClientPublishResult published;
            try
            {
                published = await _client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                IotLog.ProxyFailed(_logger, target.Name, action, BrokerUnavailableError);
                return Count(CommandResult.Fail(BrokerUnavailableError,
                    $"proxy {target.Name}: the connection to {Broker} failed while publishing to {topic} ({e.Message}); the broker did not acknowledge it, so the command may not have been delivered."));
            }

            if (!published.IsSuccess)
            {
                IotLog.ProxyFailed(_logger, target.Name, action, BrokerUnavailableError);
                return Count(CommandResult.Fail(BrokerUnavailableError,
                    $"proxy {target.Name}: the broker {Broker} refused the message to {topic} ({published.ReasonCode})."));
            }

            if (waiter is null)
            {
                _instruments.ProxyCommands.Add(1, new KeyValuePair<string, object?>("result", "ok"));
                return CommandResult.Ok(w =>
                {
                    w.WriteString("target", target.Name);
                    w.WriteString("topic", topic);
                    w.WriteBoolean("published", true);
                });
            }

            DeviceState state;
            try
            {
                state = await waiter.Task.WaitAsync(_options.StateTimeout, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                IotLog.ProxyFailed(_logger, target.Name, action, DeviceTimeoutError);
                return Count(CommandResult.Fail(DeviceTimeoutError,
                    $"proxy {target.Name}: published to {topic}, but no state arrived on {target.StateTopic} within {_options.StateTimeout.TotalSeconds:0.#} s (is the device on?)."));
            }

            _instruments.ProxyCommands.Add(1, new KeyValuePair<string, object?>("result", "ok"));
            return CommandResult.Ok(w => WriteState(w, target, state));
        }
        finally
        {
            if (waiter is not null)
            {
                RemoveWaiter(target.Name, waiter);
            }
        }
    }

    private CommandResult State(CommandContext context)
    {
        if (!TryTarget(context, out MqttTarget? target, out CommandResult? error))
        {
            return error;
        }

        DeviceState? state;
        lock (_lock)
        {
            _states.TryGetValue(target.Name, out state);
        }

        return state is null
            ? CommandResult.Fail(NoStateError, $"proxy.state {target.Name}: no state message on {target.StateTopic} since the bridge started.")
            : CommandResult.Ok(w => WriteState(w, target, state));
    }

    private CommandResult Devices(CommandContext context)
    {
        KeyValuePair<string, DeviceState>[] states;
        lock (_lock)
        {
            states = [.. _states];
        }

        return CommandResult.Ok(w =>
        {
            w.WriteString("broker", Broker);
            w.WriteBoolean("connected", _client.IsConnected);
            w.WriteStartArray("devices");
            foreach (MqttTarget target in _targets.Values.OrderBy(static t => t.Name, StringComparer.Ordinal))
            {
                DeviceState? state = states.FirstOrDefault(s => s.Key == target.Name).Value;
                w.WriteStartObject();
                w.WriteString("target", target.Name);
                w.WriteString("style", target.StyleName);
                w.WriteString("state_topic", target.StateTopic);
                w.WriteString("command_topic", target.CommandTopic);
                w.WriteBoolean("seen", state is not null);
                if (state is not null)
                {
                    w.WriteString("last_seen", state.At);
                    w.WritePropertyName("state");
                    w.WriteRawValue(state.State, skipInputValidation: true);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
    }

    private bool TryTarget(CommandContext context, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MqttTarget? target, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out CommandResult? error)
    {
        string? name = TryProperty(context.Payload, "target", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString() : context.GetString("target");

        if (name is null)
        {
            (target, error) = (null, CommandResult.Fail(InvalidParamsError, $"{context.Action} needs a target (a string): one of {string.Join(", ", _targets.Keys.Order(StringComparer.Ordinal))}."));
            return false;
        }

        if (!_targets.TryGetValue(name, out target))
        {
            error = CommandResult.Fail(UnknownTargetError, $"{context.Action}: no sub-device '{name}'; the targets are {string.Join(", ", _targets.Keys.Order(StringComparer.Ordinal))}.");
            return false;
        }

        error = null;
        return true;
    }

    private static bool TryProperty(JsonElement element, string name, out JsonElement value)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out value))
        {
            return true;
        }

        value = default;
        return false;
    }

    private CommandResult Count(CommandResult result)
    {
        _instruments.ProxyCommands.Add(1, new KeyValuePair<string, object?>("result", result.ErrorCode ?? "ok"));
        return result;
    }

    private TaskCompletionSource<DeviceState> AddWaiter(string target)
    {
        var waiter = new TaskCompletionSource<DeviceState>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (!_waiters.TryGetValue(target, out List<TaskCompletionSource<DeviceState>>? list))
            {
                _waiters[target] = list = [];
            }

            list.Add(waiter);
        }

        return waiter;
    }

    private void RemoveWaiter(string target, TaskCompletionSource<DeviceState> waiter)
    {
        lock (_lock)
        {
            if (_waiters.TryGetValue(target, out List<TaskCompletionSource<DeviceState>>? list) && list.Remove(waiter) && list.Count == 0)
            {
                _waiters.Remove(target);
            }
        }
    }

    private static void WriteState(Utf8JsonWriter w, MqttTarget target, DeviceState state)
    {
        w.WriteString("target", target.Name);
        w.WritePropertyName("state");
        w.WriteRawValue(state.State, skipInputValidation: true);
        w.WritePropertyName("update");
        w.WriteRawValue(state.Update, skipInputValidation: true);
        w.WriteString("at", state.At);
    }

    /// <summary>The message as JSON: a JSON payload as it is, plain text (Tasmota's <c>ON</c>) as <c>{"value":"ON"}</c>.</summary>
    private static byte[] UpdateJson(ReadOnlySequence<byte> payload)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return payload.ToArray();
            }

            return Write(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("value");
                document.RootElement.WriteTo(w);
                w.WriteEndObject();
            });
        }
        catch (JsonException)
        {
            string text;
            try
            {
                text = new System.Text.UTF8Encoding(false, true).GetString(payload.ToArray());
            }
            catch (ArgumentException)
            {
                text = Convert.ToBase64String(payload.ToArray());
            }

            return Write(w =>
            {
                w.WriteStartObject();
                w.WriteString("value", text);
                w.WriteEndObject();
            });
        }
    }

    /// <summary>The last-known state with this update's properties laid over it (Tasmota sends partial results).</summary>
    private static byte[] Merge(byte[]? previous, byte[] update)
    {
        if (previous is null)
        {
            return update;
        }

        using JsonDocument old = JsonDocument.Parse(previous);
        using JsonDocument next = JsonDocument.Parse(update);
        return Write(w =>
        {
            w.WriteStartObject();
            foreach (JsonProperty property in old.RootElement.EnumerateObject())
            {
                if (!next.RootElement.TryGetProperty(property.Name, out _))
                {
                    property.WriteTo(w);
                }
            }

            foreach (JsonProperty property in next.RootElement.EnumerateObject())
            {
                property.WriteTo(w);
            }

            w.WriteEndObject();
        });
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private sealed record DeviceState(byte[] State, byte[] Update, DateTimeOffset At, long Updates);
}
