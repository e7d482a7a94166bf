using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Meowstik.Agent.Audio;

/// <summary>
/// An ALSA playback device through <c>aplay</c> (alsa-utils): one process per clip, raw 16-bit little-endian PCM on its
/// stdin, started with an argument list (no shell); cancelling kills it.
/// </summary>
public sealed class AlsaSink : IAudioSink
{
    /// <summary>Creates the sink.</summary>
    /// <param name="device">The ALSA device, e.g. <c>default</c>, <c>plughw:0,0</c>.</param>
    /// <param name="command">The aplay executable (a name on PATH or a path).</param>
    public AlsaSink(string device = "default", string command = "aplay")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        Device = device;
        Command = command;
    }

    /// <summary>The ALSA device.</summary>
    public string Device { get; }

    /// <summary>The aplay executable.</summary>
    public string Command { get; }

    /// <inheritdoc />
    public string Description => $"alsa playback {Device}";

    /// <inheritdoc />
    public async ValueTask<AudioPlayback> PlayAsync(AudioClip clip, string label, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clip);
        string executable = ExternalTool.Find(Command)
            ?? throw new AudioDeviceException($"'{Command}' is not installed (apt-get install alsa-utils): no ALSA playback.");
        using Process process = ExternalTool.Start(executable,
            ["-q", "-D", Device, "-t", "raw", "-f", "S16_LE", "-r", ExternalTool.Inv(clip.Format.SampleRate), "-c", ExternalTool.Inv(clip.Format.Channels)],
            redirectInput: true, redirectOutput: false);
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                if (e.Data is not null && errors.Length < 500)
                {
                    errors.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        using CancellationTokenRegistration kill = cancellationToken.Register(static p => ExternalTool.Kill((Process)p!), process);
        try
        {
            Stream stdin = process.StandardInput.BaseStream;
            await stdin.WriteAsync(MemoryMarshal.AsBytes(clip.Samples.Span).ToArray(), cancellationToken).ConfigureAwait(false);
            await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException e)
        {
            // aplay ended early (a device error): its stderr says why, below.
            _ = e;
        }

        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            string why;
            lock (errors)
            {
                why = errors.ToString().Trim();
            }

            throw new AudioDeviceException($"aplay on '{Device}' failed (exit {process.ExitCode}): {why}");
        }

        return new AudioPlayback(clip.Duration);
    }
}
