using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Meowstik.Agent.Gps.Tests;

/// <summary>
/// A real gpsd fed by gpsfake (Debian packages gpsd and gpsd-clients) replaying an NMEA log on a free port. gpsfake runs in
/// its own session (setsid), so disposing kills the whole process group: gpsfake, its gpsd and the pty feeder.
/// </summary>
internal sealed class GpsFake : IAsyncDisposable
{
    private static readonly string[] SearchPath = [.. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries), "/usr/sbin", "/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GpsFake(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    /// <summary>Why the gpsd tests cannot run here (gpsd or gpsfake not installed), or null when they can.</summary>
    public static string? Missing { get; } = Find("gpsd") is null || Find("gpsfake") is null
        ? "gpsd is not installed (apt-get install -y gpsd gpsd-clients): the real-gpsd tests are skipped."
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts gpsfake (looping the log, <paramref name="cycle"/> seconds between sentences) and waits until gpsd listens.</summary>
    public static async Task<GpsFake> StartAsync(string log, int? port = null, double cycle = 0.02)
    {
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int p = port ?? FreePort();
            var info = new ProcessStartInfo(Find("setsid") ?? "setsid")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string a in new[] { Find("gpsfake")!, "-P", p.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", cycle.ToString(System.Globalization.CultureInfo.InvariantCulture), "-q", log })
            {
                info.ArgumentList.Add(a);
            }

            // gpsfake starts "gpsd" from PATH, which for a non-login shell often lacks /usr/sbin.
            info.Environment["PATH"] = string.Join(':', SearchPath.Distinct());
            var fake = new GpsFake(Process.Start(info)!, p);
            fake._process.OutputDataReceived += (_, e) => fake.Append(e.Data);
            fake._process.ErrorDataReceived += (_, e) => fake.Append(e.Data);
            fake._process.BeginOutputReadLine();
            fake._process.BeginErrorReadLine();
            try
            {
                await fake.WaitListeningAsync(TimeSpan.FromSeconds(20));
                return fake;
            }
            catch (Exception e) when (port is null)
            {
                last = e;
                await fake.DisposeAsync();
            }
        }

        throw new InvalidOperationException("gpsfake did not start", last);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Kill(-_process.Id, 15); // SIGTERM to the process group
            if (!_process.WaitForExit(5000))
            {
                _ = Kill(-_process.Id, 9);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
            }
        }

        // gpsd may outlive gpsfake by a moment; make sure nothing of the group is left.
        _ = Kill(-_process.Id, 9);
        _process.Dispose();
    }

    private static string? Find(string name) => SearchPath.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // a test helper: LibraryImport would need unsafe code enabled for one call
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

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

    private async Task WaitListeningAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"gpsfake exited with {_process.ExitCode}: {Output}");
            }

            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (clock.Elapsed < timeout)
            {
                await Task.Delay(50);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"gpsd did not listen on {Port} within {timeout}: {Output}", e);
            }
        }
    }
}

/// <summary>A fact that needs a real gpsd; skipped, saying why, only when gpsd/gpsfake are not installed.</summary>
public sealed class GpsdFactAttribute : FactAttribute
{
    public GpsdFactAttribute()
    {
        if (GpsFake.Missing is { } why)
        {
            Skip = why;
        }
    }
}
