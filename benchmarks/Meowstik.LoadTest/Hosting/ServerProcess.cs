using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Meowstik.LoadTest.Hosting;

/// <summary>
/// A server under test running as a child process (hub, nats-server or mosquitto): its output goes to a log file, its
/// memory is read from <c>/proc/&lt;pid&gt;/status</c>, and it is stopped (or killed, to simulate a crash) by its own pid.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource _readyLine = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _readyMarker;

    private ServerProcess(Process process, StreamWriter log, string logPath, string? readyMarker)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        _readyMarker = readyMarker;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The server's output; a restarted server appends to the same file.</summary>
    public string LogPath { get; }

    /// <summary>Lines of <see cref="LogPath"/> that are warnings or errors (ASP.NET Core console format <c>warn:</c>/<c>fail:</c>/<c>crit:</c>), over every start.</summary>
    public int WarningLines()
    {
        lock (_log)
        {
            return File.ReadLines(LogPath).Count(IsWarning);
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> and waits until it is ready: until it prints a line starting with
    /// <paramref name="readyMarker"/>, or, when that is null, until <paramref name="port"/> on 127.0.0.1 accepts connections.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(
        string fileName, IEnumerable<string> arguments, string logPath, int port, string? readyMarker = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) info.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach ((string key, string value) in environment) info.Environment[key] = value;
        }
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var server = new ServerProcess(process, log, logPath, readyMarker);
        process.OutputDataReceived += (_, e) => server.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnOutput(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync(port, timeout ?? TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return server;
    }

    /// <summary>Resident memory of the process in bytes (VmRSS), or -1 when it cannot be read.</summary>
    public long ResidentBytes()
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                string kilobytes = line["VmRSS:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim();
                return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return -1;
    }

    /// <summary>CPU time the process has used so far (user + system, from <c>/proc/&lt;pid&gt;/stat</c>), or zero when it cannot be read.</summary>
    public TimeSpan CpuTime()
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15 (in clock ticks, 100 per second on Linux).
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromMilliseconds(ticks * 10);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>Kills the process at once (SIGKILL): a crash, as far as its clients can tell.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>Asks the process to stop (SIGTERM), and kills it after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        _ = Kill(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _process.Dispose();
        await _log.DisposeAsync().ConfigureAwait(false);
    }

    private void OnOutput(string? line)
    {
        if (line is null) return;
        if (_readyMarker is not null && line.StartsWith(_readyMarker, StringComparison.Ordinal)) _readyLine.TrySetResult();
        lock (_log) _log.WriteLine(line);
    }

    private static bool IsWarning(string line) =>
        line.StartsWith("warn:", StringComparison.Ordinal) || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal);

    private async Task WaitReadyAsync(int port, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{_process.StartInfo.FileName} exited with {_process.ExitCode} before it was ready; see its log.");
            if (_readyMarker is not null)
            {
                if (_readyLine.Task.IsCompleted) return;
            }
            else if (await AcceptsConnectionsAsync(port).ConfigureAwait(false))
            {
                return;
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
        throw new TimeoutException($"{_process.StartInfo.FileName} was not ready within {timeout.TotalSeconds} s.");
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
