using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Meowstik.Agent.Audio;

/// <summary>
/// An ALSA capture device through <c>arecord</c> (alsa-utils): raw 16-bit little-endian PCM on its stdout, started per
/// stream with an argument list (no shell) and killed when the stream stops.
/// </summary>
public sealed class AlsaSource : IAudioSource
{
    /// <summary>Creates the source.</summary>
    /// <param name="device">The ALSA device, e.g. <c>default</c>, <c>plughw:1,0</c>.</param>
    /// <param name="command">The arecord executable (a name on PATH or a path).</param>
    public AlsaSource(string device = "default", string command = "arecord")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(device);
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        Device = device;
        Command = command;
    }

    /// <summary>The ALSA device.</summary>
    public string Device { get; }

    /// <summary>The arecord executable.</summary>
    public string Command { get; }

    /// <inheritdoc />
    public string Description => $"alsa capture {Device}";

    /// <inheritdoc />
    public ValueTask<IAudioReader> OpenAsync(AudioFormat format, CancellationToken cancellationToken)
    {
        string executable = ExternalTool.Find(Command)
            ?? throw new AudioDeviceException($"'{Command}' is not installed (apt-get install alsa-utils): no ALSA capture.");
        Process process = ExternalTool.Start(executable,
            ["-q", "-D", Device, "-t", "raw", "-f", "S16_LE", "-r", ExternalTool.Inv(format.SampleRate), "-c", ExternalTool.Inv(format.Channels)],
            redirectInput: false, redirectOutput: true);
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
        return ValueTask.FromResult<IAudioReader>(new Reader(process, format, Device, errors));
    }

    private sealed class Reader(Process process, AudioFormat format, string device, StringBuilder errors) : IAudioReader
    {
        private readonly Stream _stdout = process.StandardOutput.BaseStream;
        private byte[] _bytes = [];
        private byte _odd;
        private bool _hasOdd;

        public AudioFormat Format => format;

        public bool IsRealtime => true;

        public async ValueTask<int> ReadAsync(Memory<short> samples, CancellationToken cancellationToken)
        {
            if (_bytes.Length < samples.Length * 2)
            {
                _bytes = new byte[samples.Length * 2];
            }

            Memory<byte> bytes = _bytes.AsMemory(0, samples.Length * 2);
            int offset = 0;
            if (_hasOdd)
            {
                bytes.Span[0] = _odd;
                offset = 1;
                _hasOdd = false;
            }

            int read = await _stdout.ReadAsync(bytes[offset..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                if (process.ExitCode != 0)
                {
                    string why;
                    lock (errors)
                    {
                        why = errors.ToString().Trim();
                    }

                    throw new AudioDeviceException($"arecord on '{device}' failed (exit {process.ExitCode}): {why}");
                }

                return 0;
            }

            int total = offset + read;
            if ((total & 1) == 1)
            {
                _odd = bytes.Span[total - 1];
                _hasOdd = true;
                total--;
            }

            MemoryMarshal.Cast<byte, short>(bytes.Span[..total]).CopyTo(samples.Span);
            return total / 2;
        }

        public async ValueTask DisposeAsync()
        {
            ExternalTool.Kill(process);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            process.Dispose();
        }
    }
}
