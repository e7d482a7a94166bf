using System.Diagnostics.Metrics;

namespace Meowstik.Agent.Openpilot;

/// <summary>
/// Reads openpilot's msgq queues on the device itself, passively: one <see cref="MsgqRingReader"/> per service (mapped
/// read-only, never registered as a reader), polled every <see cref="PollInterval"/> for the newest message. Queues that
/// do not exist yet are looked for again at every poll, so the agent may start before openpilot.
/// </summary>
public sealed class MsgqOpenpilotSource : IOpenpilotSource, IDisposable
{
    /// <summary>The services read by default.</summary>
    public static readonly IReadOnlyList<string> DefaultServices =
        ["carState", "selfdriveState", "controlsState", "driverMonitoringState", "gpsLocationExternal", "gpsLocation"];

    private readonly MsgqRingReader[] _readers;
    private readonly byte[][] _buffers;
    private readonly TimeProvider _time;
    private readonly OpenpilotInstruments? _instruments;

    /// <summary>Creates the source.</summary>
    /// <param name="root">The folder of the queues; default <c>/dev/shm</c>.</param>
    /// <param name="prefix">openpilot's <c>OPENPILOT_PREFIX</c> (queues in <c>&lt;root&gt;/msgq_&lt;prefix&gt;/&lt;service&gt;</c>); null reads the environment variable, empty means none.</param>
    /// <param name="services">The services; default <see cref="DefaultServices"/>.</param>
    /// <param name="headerSize">384 or 312 to force the msgq header size; 0 infers it per file.</param>
    /// <param name="timeProvider">Drives the poll delay.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Openpilot</c> meter.</param>
    public MsgqOpenpilotSource(string? root = null, string? prefix = null, IReadOnlyList<string>? services = null, int headerSize = 0, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
    {
        Root = string.IsNullOrEmpty(root) ? "/dev/shm" : root;
        string? p = prefix ?? Environment.GetEnvironmentVariable("OPENPILOT_PREFIX");
        Prefix = string.IsNullOrEmpty(p) ? null : p;
        Services = services is { Count: > 0 } ? [.. services] : DefaultServices;
        _readers = [.. Services.Select(s => new MsgqRingReader(QueuePath(Root, Prefix, s), headerSize))];
        _buffers = [.. Services.Select(_ => new byte[4096])];
        _time = timeProvider ?? TimeProvider.System;
        _instruments = meterFactory is null ? null : new OpenpilotInstruments(meterFactory);
    }

    /// <summary>The folder of the queues.</summary>
    public string Root { get; }

    /// <summary>The <c>OPENPILOT_PREFIX</c> in use, or null.</summary>
    public string? Prefix { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Services { get; }

    /// <summary>The pause between polls. Default 50 ms (20 Hz; carState is published at 100 Hz, the newest wins).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <inheritdoc/>
    public string Description => Prefix is null ? $"msgq {Root}" : $"msgq {Root} (prefix {Prefix})";

    /// <summary>The queue file msgq uses: <c>&lt;root&gt;/msgq_&lt;service&gt;</c>, or <c>&lt;root&gt;/msgq_&lt;prefix&gt;/&lt;service&gt;</c> with a prefix.</summary>
    /// <param name="root">The folder, normally <c>/dev/shm</c>.</param>
    /// <param name="prefix">OPENPILOT_PREFIX, or null.</param>
    /// <param name="service">The service.</param>
    /// <returns>The path.</returns>
    public static string QueuePath(string root, string? prefix, string service) =>
        string.IsNullOrEmpty(prefix) ? Path.Combine(root, "msgq_" + service) : Path.Combine(root, "msgq_" + prefix, service);

    /// <summary>
    /// Whether openpilot's msgq queue for <paramref name="service"/> exists, i.e. openpilot runs (or ran) on this device:
    /// an app can choose between this plugin and a simulation with it.
    /// </summary>
    /// <param name="root">The folder; default <c>/dev/shm</c>.</param>
    /// <param name="prefix">OPENPILOT_PREFIX; null reads the environment variable.</param>
    /// <param name="service">The service; default <c>carState</c>.</param>
    /// <returns>Whether the queue file exists.</returns>
    public static bool QueueExists(string? root = null, string? prefix = null, string service = "carState")
    {
        string? p = prefix ?? Environment.GetEnvironmentVariable("OPENPILOT_PREFIX");
        return File.Exists(QueuePath(string.IsNullOrEmpty(root) ? "/dev/shm" : root, string.IsNullOrEmpty(p) ? null : p, service));
    }

    /// <summary>Reads every queue once, handing new messages to <paramref name="onMessage"/>.</summary>
    /// <param name="onMessage">The handler.</param>
    /// <returns>The number of messages handed over.</returns>
    public int PollOnce(OpenpilotMessageHandler onMessage)
    {
        ArgumentNullException.ThrowIfNull(onMessage);
        int count = 0;
        for (int i = 0; i < _readers.Length; i++)
        {
            MsgqReadStatus status = _readers[i].TryReadLatest(ref _buffers[i], out int length);
            if (status == MsgqReadStatus.Message)
            {
                count++;
                onMessage(Services[i], _buffers[i].AsSpan(0, length));
            }

            _instruments?.Reads.Add(1, new KeyValuePair<string, object?>("status", OpenpilotInstruments.Tag(status)));
        }

        return count;
    }

    /// <inheritdoc/>
    public async Task RunAsync(OpenpilotMessageHandler onMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onMessage);
        while (!cancellationToken.IsCancellationRequested)
        {
            PollOnce(onMessage);
            try
            {
                await Task.Delay(PollInterval, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Unmaps the queues.</summary>
    public void Dispose()
    {
        foreach (MsgqRingReader reader in _readers)
        {
            reader.Dispose();
        }
    }
}
