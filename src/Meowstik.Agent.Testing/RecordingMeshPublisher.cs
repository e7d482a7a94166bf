using System.Runtime.CompilerServices;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Agent.Testing;

/// <summary>An event a capability published through a <see cref="RecordingMeshPublisher"/>.</summary>
/// <param name="Name">The event name (<c>payload.event</c>).</param>
/// <param name="Data">The event data; <see cref="JsonValueKind.Undefined"/> when none was given.</param>
/// <param name="To">The target (null: the hub).</param>
/// <param name="Timestamp">When it was published, by the publisher's clock.</param>
public sealed record RecordedEvent(string Name, JsonElement Data, string? To, DateTimeOffset Timestamp);

/// <summary>A command or query a capability sent to another device through a <see cref="RecordingMeshPublisher"/>.</summary>
/// <param name="Kind">Command or query.</param>
/// <param name="DeviceId">The target device.</param>
/// <param name="Action">The action.</param>
/// <param name="Params">The parameters; <see cref="JsonValueKind.Undefined"/> when none were given.</param>
/// <param name="Timeout">The timeout the capability asked for, if any.</param>
public sealed record RecordedRequest(CommandKind Kind, string DeviceId, string Action, JsonElement Params, TimeSpan? Timeout);

/// <summary>
/// An <see cref="IMeshPublisher"/> that records everything a capability sends (events, stream chunks, commands and queries
/// to other devices) and answers requests from a script, for unit tests without a hub. Thread-safe.
/// </summary>
/// <example>
/// <code>
/// var mesh = new RecordingMeshPublisher("car-001");
/// mesh.Reply("homeserver-001", "status", MeshJson.Raw("""{"doors":"locked"}"""));
/// await capability.RunAsync(mesh, ct);
/// Assert.Equal("position", mesh.Events[0].Name);
/// </code>
/// </example>
public sealed class RecordingMeshPublisher : IMeshPublisher
{
    private readonly object _gate = new();
    private readonly List<RecordedEvent> _events = [];
    private readonly List<OutgoingStreamChunk> _chunks = [];
    private readonly List<RecordedRequest> _requests = [];
    private readonly Dictionary<(string DeviceId, string Action), Func<RecordedRequest, MeshReply>> _script = [];
    private readonly List<(Func<RecordedEvent, bool> Match, TaskCompletionSource<RecordedEvent> Done)> _eventWaiters = [];
    private readonly TimeProvider _time;
    private long _messages;
    private long _droppedChunks;

    /// <summary>Creates a publisher for <paramref name="deviceId"/>, online, timestamping with <paramref name="time"/>.</summary>
    /// <param name="deviceId">The device id capabilities see as <see cref="DeviceId"/>.</param>
    /// <param name="time">The clock for timestamps; the system clock when null.</param>
    public RecordingMeshPublisher(string deviceId = "test-device", TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        DeviceId = deviceId;
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public string DeviceId { get; }

    /// <summary>Whether the agent is online. Default true; set it to false to test the offline path (stream chunks are dropped).</summary>
    public bool IsOnline { get; set; } = true;

    /// <summary>Set to true to act as a stopped agent: events are dropped and <see cref="PublishEvent"/> returns false.</summary>
    public bool IsStopped { get; set; }

    /// <summary>The events published so far, in order (a snapshot).</summary>
    public IReadOnlyList<RecordedEvent> Events
    {
        get
        {
            lock (_gate) return [.. _events];
        }
    }

    /// <summary>The stream chunks queued so far (sent while online), in order (a snapshot).</summary>
    public IReadOnlyList<OutgoingStreamChunk> StreamChunks
    {
        get
        {
            lock (_gate) return [.. _chunks];
        }
    }

    /// <summary>The commands and queries sent to other devices so far, in order (a snapshot).</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate) return [.. _requests];
        }
    }

    /// <summary>Stream chunks dropped because <see cref="IsOnline"/> was false.</summary>
    public long DroppedStreamChunks => Interlocked.Read(ref _droppedChunks);

    /// <summary>Scripts the answer to requests for <paramref name="action"/> on <paramref name="deviceId"/>: a response with this result.</summary>
    /// <param name="deviceId">The target device.</param>
    /// <param name="action">The action.</param>
    /// <param name="result">The <c>result</c> of the response; <see cref="MeshJson.None"/> for none.</param>
    public void Reply(string deviceId, string action, MeshJson result) => Reply(deviceId, action, _ => result);

    /// <summary>Scripts the answer to requests for <paramref name="action"/> on <paramref name="deviceId"/>, computed from the request.</summary>
    /// <param name="deviceId">The target device.</param>
    /// <param name="action">The action.</param>
    /// <param name="result">Returns the <c>result</c> of the response, or throws (a <see cref="MeshRequestException"/> to answer with an error).</param>
    public void Reply(string deviceId, string action, Func<RecordedRequest, MeshJson> result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Script(deviceId, action, request => Response(request, result(request)));
    }

    /// <summary>Scripts an error answer (<see cref="MeshRequestException"/> with <paramref name="code"/>) to requests for <paramref name="action"/>.</summary>
    /// <param name="deviceId">The target device.</param>
    /// <param name="action">The action.</param>
    /// <param name="code">The error code, e.g. <see cref="MeshErrorCodes.DeviceOffline"/>.</param>
    /// <param name="message">The error message.</param>
    public void Fail(string deviceId, string action, string code, string message) =>
        Script(deviceId, action, _ => throw new MeshRequestException(code, message, deviceId));

    /// <summary>Forgets everything recorded (not the script).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _events.Clear();
            _chunks.Clear();
            _requests.Clear();
        }

        Interlocked.Exchange(ref _droppedChunks, 0);
    }

    /// <summary>Waits for an event named <paramref name="eventName"/> (one already recorded counts).</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The first matching event.</returns>
    public Task<RecordedEvent> WaitForEventAsync(string eventName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        var done = new TaskCompletionSource<RecordedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (RecordedEvent e in _events)
            {
                if (e.Name == eventName)
                {
                    return Task.FromResult(e);
                }
            }

            _eventWaiters.Add((e => e.Name == eventName, done));
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public bool PublishEvent(string eventName, MeshJson data = default, string? to = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(eventName);
        if (IsStopped)
        {
            return false;
        }

        var recorded = new RecordedEvent(eventName, data.IsNone ? default : data.ToElement(), to, _time.GetUtcNow());
        List<TaskCompletionSource<RecordedEvent>>? wake = null;
        lock (_gate)
        {
            _events.Add(recorded);
            for (int i = _eventWaiters.Count - 1; i >= 0; i--)
            {
                if (_eventWaiters[i].Match(recorded))
                {
                    (wake ??= []).Add(_eventWaiters[i].Done);
                    _eventWaiters.RemoveAt(i);
                }
            }
        }

        wake?.ForEach(w => w.TrySetResult(recorded));
        return true;
    }

    /// <inheritdoc />
    public bool PublishStreamChunk(OutgoingStreamChunk chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (!IsOnline || IsStopped)
        {
            Interlocked.Increment(ref _droppedChunks);
            chunk.Lease?.Dispose();
            return false;
        }

        // Like the agent, the lease is released once the chunk is "sent": the recording keeps a copy of the bytes.
        OutgoingStreamChunk recorded = chunk.Lease is null ? chunk : CopyOf(chunk);
        chunk.Lease?.Dispose();
        lock (_gate)
        {
            _chunks.Add(recorded);
        }

        return true;
    }

    private static OutgoingStreamChunk CopyOf(OutgoingStreamChunk chunk) => new()
    {
        StreamType = chunk.StreamType,
        Codec = chunk.Codec,
        SampleRate = chunk.SampleRate,
        Channels = chunk.Channels,
        Width = chunk.Width,
        Height = chunk.Height,
        ChunkIndex = chunk.ChunkIndex,
        FrameIndex = chunk.FrameIndex,
        Data = chunk.Data.ToArray(),
        To = chunk.To,
    };

    /// <inheritdoc />
    public async Task<long> PublishStreamAsync(IAsyncEnumerable<OutgoingStreamChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        long sent = 0;
        await foreach (OutgoingStreamChunk chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (PublishStreamChunk(chunk))
            {
                sent++;
            }
        }

        return sent;
    }

    /// <inheritdoc />
    public Task<MeshReply> QueryAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Request(CommandKind.Query, deviceId, action, parameters, timeout, cancellationToken);

    /// <inheritdoc />
    public Task<MeshReply> SendCommandAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Request(CommandKind.Command, deviceId, action, parameters, timeout, cancellationToken);

    private void Script(string deviceId, string action, Func<RecordedRequest, MeshReply> answer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        lock (_gate)
        {
            _script[(deviceId, action)] = answer;
        }
    }

    private Task<MeshReply> Request(CommandKind kind, string deviceId, string action, MeshJson parameters, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<MeshReply>(cancellationToken);
        }

        var request = new RecordedRequest(kind, deviceId, action, parameters.IsNone ? default : parameters.ToElement(), timeout);
        Func<RecordedRequest, MeshReply>? answer;
        lock (_gate)
        {
            _requests.Add(request);
            _script.TryGetValue((deviceId, action), out answer);
        }

        if (answer is null)
        {
            return Task.FromException<MeshReply>(new MeshRequestException(
                MeshErrorCodes.UnknownDevice, $"No reply is scripted for '{action}' on '{deviceId}' (RecordingMeshPublisher.Reply).", deviceId));
        }

        try
        {
            return Task.FromResult(answer(request));
        }
        catch (Exception ex)
        {
            return Task.FromException<MeshReply>(ex);
        }
    }

    private MeshReply Response(RecordedRequest request, MeshJson result)
    {
        var payload = MeshJson.Object(w =>
        {
            w.WriteString("action", request.Action);
            w.WriteString("status", "ok");
            if (!result.IsNone)
            {
                w.WritePropertyName("result");
                result.WriteTo(w);
            }
        });
        long n = Interlocked.Increment(ref _messages);
        return new MeshReply(request.DeviceId, $"msg_reply_{n}", $"msg_request_{n}", payload.ToElement(), _time.GetUtcNow());
    }
}
