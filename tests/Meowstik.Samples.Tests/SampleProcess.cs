using System.Diagnostics;
using System.Text;

namespace Meowstik.Samples.Tests;

/// <summary>
/// A sample started as a real process (<c>dotnet samples/&lt;Name&gt;/bin/&lt;Configuration&gt;/net10.0/&lt;Name&gt;.dll</c>), its output
/// collected (or a published binary: <c>MEOWSTIK_SAMPLE_EXE_COMMA3X</c>, optionally run by <c>MEOWSTIK_SAMPLE_LAUNCHER</c>);
/// <see cref="StopAsync"/> sends SIGTERM (what Ctrl+C and systemd do) and waits; disposal kills what is left.
/// </summary>
internal sealed class SampleProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _errors = new();

    private SampleProcess(Process process)
    {
        _process = process;
    }

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

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static SampleProcess Start(string sample, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        // MEOWSTIK_SAMPLE_EXE_<NAME> runs a published binary instead (e.g. the linux-arm64 Comma3x), through
        // MEOWSTIK_SAMPLE_LAUNCHER when set (e.g. qemu-aarch64, with QEMU_LD_PREFIX in the environment).
        string? exe = Environment.GetEnvironmentVariable("MEOWSTIK_SAMPLE_EXE_" + sample.ToUpperInvariant());
        string? launcher = Environment.GetEnvironmentVariable("MEOWSTIK_SAMPLE_LAUNCHER");
        var info = new ProcessStartInfo(exe is null ? "dotnet" : launcher ?? exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (exe is null)
        {
            info.ArgumentList.Add(Locate(sample));
        }
        else if (launcher is not null)
        {
            info.ArgumentList.Add(exe);
        }

        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var sp = new SampleProcess(process);
        process.OutputDataReceived += (_, e) => Append(sp._output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(sp._errors, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sp;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; fails with the output so far otherwise.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > timeout)
            {
                Assert.Fail($"'{text}' did not appear ({(_process.HasExited ? $"exited with {_process.ExitCode}" : "timed out")}).\nstdout:\n{Output}\nstderr:\n{Errors}");
            }

            await Task.Delay(50);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"the process did not exit within {timeout.TotalSeconds:0} s.\nstdout:\n{Output}\nstderr:\n{Errors}");
        }

        _process.WaitForExit();   // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as systemd or Ctrl+C (SIGINT) would stop it; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        using (Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        return await WaitForExitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is not null)
        {
            lock (sb)
            {
                sb.AppendLine(line);
            }
        }
    }

    private static string Locate(string sample)
    {
        // tests/Meowstik.Samples.Tests/bin/<Configuration>/net10.0/ -> the repository root and the same configuration.
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        string configuration = here.Parent!.Name;
        DirectoryInfo? root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Meowstik.Sdk.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        string dll = Path.Combine(root.FullName, "samples", sample, "bin", configuration, here.Name, sample + ".dll");
        Assert.True(File.Exists(dll), $"{sample} was not built at {dll}");
        return dll;
    }
}
