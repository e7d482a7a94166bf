using System.Diagnostics;
using System.Text.Json;
using Meowstik.Protocol;

namespace Meowstik.Hil;

/// <summary>A check failed: the message says what was expected and what came.</summary>
internal sealed class HilFailure(string message) : Exception(message);

/// <summary>
/// Runs the checks and reports them on the console (the VM's serial console, read by run.sh): one
/// <c>HIL PASS name (ms)</c> / <c>HIL FAIL name: reason</c> line per check, then <c>HIL SUMMARY passed=N failed=M</c>.
/// </summary>
internal static class Hil
{
    private static int s_passed;
    private static int s_failed;

    public static int Passed => s_passed;

    public static int Failed => s_failed;

    /// <summary>Which fault to inject (HIL_BREAK, from the kernel command line through /init): proves the checks can fail.</summary>
    public static string Break { get; } = Environment.GetEnvironmentVariable("HIL_BREAK") ?? "";

    public static bool Breaks(string fault) => Break.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(fault);

    public static void Log(string text) => Console.WriteLine("  " + text);

    public static async Task Check(string name, Func<Task> body, int timeoutSeconds = 60)
    {
        var sw = Stopwatch.StartNew();
        string? failure = null;
        try
        {
            Task run = Task.Run(body);
            if (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(timeoutSeconds))).ConfigureAwait(false) != run)
            {
                failure = $"timed out after {timeoutSeconds} s";
            }
            else
            {
                await run.ConfigureAwait(false);
            }
        }
        catch (HilFailure e)
        {
            failure = e.Message;
        }
        catch (Exception e)
        {
            failure = $"{e.GetType().Name}: {e.Message}";
            for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
            {
                failure += $" <- {inner.GetType().Name}: {inner.Message}";
            }

            failure += Environment.NewLine + e.StackTrace;
        }

        if (failure is null)
        {
            s_passed++;
            Console.WriteLine($"HIL PASS {name} ({sw.ElapsedMilliseconds} ms)");
        }
        else
        {
            s_failed++;
            Console.WriteLine($"HIL FAIL {name}: {failure}");
        }
    }

    /// <summary>Runs a suite of checks; an exception outside its checks (its set-up failed) counts as one failure.</summary>
    public static async Task Suite(string name, Func<Task> body)
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            s_failed++;
            Console.WriteLine($"HIL FAIL {name}: set-up failed: {e.GetType().Name}: {e.Message}{Environment.NewLine}{e.StackTrace}");
        }
    }

    public static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new HilFailure(message);
        }
    }

    public static void Near(double expected, double actual, double tolerance, string what) =>
        Expect(Math.Abs(expected - actual) <= tolerance, $"{what}: expected {expected} (±{tolerance}), got {actual}");

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="seconds"/> pass.</summary>
    public static async Task<bool> WaitUntil(Func<bool> condition, double seconds = 10)
    {
        long end = Environment.TickCount64 + (long)(seconds * 1000);
        while (!condition())
        {
            if (Environment.TickCount64 > end)
            {
                return false;
            }

            await Task.Delay(20).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Sends one request to a capability as the agent's dispatcher does (a CommandContext into HandleAsync).</summary>
    public static async Task<CommandResult> Call(IMeshCapability capability, IMeshPublisher publisher, string action, string? parameters = null, CommandKind kind = CommandKind.Command)
    {
        JsonElement p = parameters is null ? default : JsonDocument.Parse(parameters).RootElement.Clone();
        JsonElement payload = MeshJson.Object(w =>
        {
            w.WriteString("action", action);
            if (parameters is not null)
            {
                w.WritePropertyName("params");
                p.WriteTo(w);
            }
        }).ToElement();
        var context = new CommandContext(kind, action, "msg_hil_" + Interlocked.Increment(ref s_messages), "hil-controller", p, payload, publisher);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        CommandResult result = await capability.HandleAsync(context, deadline.Token).ConfigureAwait(false);
        Log($"{action} {parameters} -> {(result.IsSuccess ? "ok " + Shorten(result.Result.ToString()) : result.ErrorCode + ": " + result.ErrorMessage)}");
        return result;
    }

    public static JsonElement Ok(CommandResult result, string what)
    {
        Expect(result.IsSuccess, $"{what} failed: {result.ErrorCode}: {result.ErrorMessage}");
        return result.Result.IsNone ? default : result.Result.ToElement();
    }

    public static void Refused(CommandResult result, string code, string what) =>
        Expect(!result.IsSuccess && result.ErrorCode == code, $"{what}: expected refusal '{code}', got {(result.IsSuccess ? "success " + result.Result : result.ErrorCode + ": " + result.ErrorMessage)}");

    public static string Shorten(string text) => text.Length <= 160 ? text : text[..157] + "...";

    /// <summary>Runs a program to its end (cansend) and returns its exit code and output.</summary>
    public static async Task<(int Exit, string Output)> Run(string file, string arguments, double timeoutSeconds = 15)
    {
        using Process p = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })
            ?? throw new HilFailure($"{file} did not start");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            throw new HilFailure($"{file} {arguments} did not end within {timeoutSeconds} s");
        }

        return (p.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    private static long s_messages;
}

/// <summary>
/// The mesh side the capabilities see: records events and stream chunks (copying the bytes and releasing the lease, as the
/// agent does once a chunk is written). Requests to other devices are not part of these checks and fail.
/// </summary>
internal sealed class HilPublisher : IMeshPublisher
{
    private readonly Lock _gate = new();
    private readonly List<(string Name, JsonElement Data, string? To)> _events = [];
    private readonly List<(string? Codec, byte[] Data, int? Width, int? Height)> _chunks = [];

    public string DeviceId => "hil-vm";

    public bool IsOnline => true;

    public List<(string Name, JsonElement Data, string? To)> Events
    {
        get
        {
            lock (_gate) return [.. _events];
        }
    }

    public List<(string? Codec, byte[] Data, int? Width, int? Height)> Chunks
    {
        get
        {
            lock (_gate) return [.. _chunks];
        }
    }

    public bool PublishEvent(string eventName, MeshJson data = default, string? to = null)
    {
        JsonElement element = data.IsNone ? default : data.ToElement();
        lock (_gate) _events.Add((eventName, element, to));
        Hil.Log($"event {eventName} {Hil.Shorten(data.ToString())}");
        return true;
    }

    public bool PublishStreamChunk(OutgoingStreamChunk chunk)
    {
        byte[] copy = chunk.Data.ToArray();
        chunk.Lease?.Dispose();
        lock (_gate) _chunks.Add((chunk.Codec, copy, chunk.Width, chunk.Height));
        return true;
    }

    public async Task<long> PublishStreamAsync(IAsyncEnumerable<OutgoingStreamChunk> chunks, CancellationToken cancellationToken = default)
    {
        long n = 0;
        await foreach (OutgoingStreamChunk chunk in chunks.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            n += PublishStreamChunk(chunk) ? 1 : 0;
        }

        return n;
    }

    public Task<MeshReply> QueryAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Task.FromException<MeshReply>(new MeshRequestException(MeshErrorCodes.UnknownDevice, "The HIL publisher has no other devices.", deviceId));

    public Task<MeshReply> SendCommandAsync(string deviceId, string action, MeshJson parameters = default, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        QueryAsync(deviceId, action, parameters, timeout, cancellationToken);
}
