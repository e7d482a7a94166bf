using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Meowstik.Agent.Iot.Tests;

/// <summary>
/// A real mosquitto (Debian package mosquitto) on 127.0.0.1 and a free port, with a generated configuration
/// (<c>listener &lt;port&gt; 127.0.0.1</c>, <c>allow_anonymous true</c>, no persistence). <see cref="KillAsync"/> kills it
/// (SIGKILL, as a crash); <see cref="StartAgainAsync"/> starts a new one on the same port.
/// </summary>
internal sealed class MosquittoBroker : IAsyncDisposable
{
    private static readonly string[] SearchPath = [.. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries), "/usr/sbin", "/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];

    private readonly string _directory;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private MosquittoBroker(int port)
    {
        Port = port;
        _directory = Directory.CreateTempSubdirectory("meowstik-mosquitto-").FullName;
    }

    /// <summary>Why the broker tests cannot run here (mosquitto not installed), or null when they can.</summary>
    public static string? Missing { get; } = Find("mosquitto") is null
        ? "mosquitto is not installed (apt-get install -y mosquitto): the real-broker tests are skipped."
        : null;

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<MosquittoBroker> StartAsync()
    {
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var broker = new MosquittoBroker(FreePort());
            try
            {
                await broker.StartAgainAsync();
                return broker;
            }
            catch (Exception e)
            {
                last = e;
                await broker.DisposeAsync();
            }
        }

        throw new InvalidOperationException("mosquitto did not start", last);
    }

    /// <summary>Starts mosquitto on <see cref="Port"/> and waits until it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        string config = Path.Combine(_directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"listener {Port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stdout\n"));
        var info = new ProcessStartInfo(Find("mosquitto")!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(config);
        Process process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {process.ExitCode}: {Output}");
            }

            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Kills the broker (SIGKILL) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? Find(string name) => SearchPath.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}

/// <summary>A fact that needs a real mosquitto; skipped, saying why, only when it is not installed.</summary>
public sealed class MosquittoFactAttribute : FactAttribute
{
    public MosquittoFactAttribute()
    {
        if (MosquittoBroker.Missing is { } why)
        {
            Skip = why;
        }
    }
}
