using System.Runtime.InteropServices;

namespace Meowstik.Agent.Audio.Tests;

/// <summary>
/// The ALSA source and sink run arecord/aplay as processes; there is no sound card here, so these tests put stand-ins on
/// the same process interface (shell scripts that record their arguments and pass raw PCM through stdout/stdin).
/// </summary>
public sealed class AlsaProcessTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("meowstik-alsa-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Script(string name, string body)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    [Fact]
    public async Task The_source_reads_raw_pcm_from_arecord_with_the_stream_format()
    {
        short[] tone = Signals.Tone(AudioFormat.Mono48K, 0.05, 6000, 440);
        await File.WriteAllBytesAsync(Path.Combine(_dir, "tone.raw"), MemoryMarshal.AsBytes(tone.AsSpan()).ToArray());
        string arecord = Script("arecord", $"echo \"$@\" > '{_dir}/args'\nexec cat '{_dir}/tone.raw'");
        var source = new AlsaSource("plughw:1,0", arecord);
        await using IAudioReader reader = await source.OpenAsync(AudioFormat.Mono48K, CancellationToken.None);
        Assert.True(reader.IsRealtime);
        var read = new List<short>();
        short[] buffer = new short[333]; // not a divisor of the pipe's chunks: odd bytes carry over
        int n;
        while ((n = await reader.ReadAsync(buffer, CancellationToken.None)) > 0)
        {
            read.AddRange(buffer[..n]);
        }

        Assert.Equal(tone, read);
        Assert.Equal("-q -D plughw:1,0 -t raw -f S16_LE -r 48000 -c 1", (await File.ReadAllTextAsync(Path.Combine(_dir, "args"))).Trim());
    }

    [Fact]
    public async Task A_failing_arecord_is_a_device_error_with_its_message()
    {
        string arecord = Script("arecord", "echo 'arecord: main:831: audio open error: No such file or directory' >&2\nexit 1");
        await using IAudioReader reader = await new AlsaSource("default", arecord).OpenAsync(AudioFormat.Mono48K, CancellationToken.None);
        AudioDeviceException e = await Assert.ThrowsAsync<AudioDeviceException>(async () => await reader.ReadAsync(new short[960], CancellationToken.None));
        Assert.Contains("audio open error", e.Message);
    }

    [Fact]
    public async Task The_sink_writes_raw_pcm_to_aplay_and_reports_failures()
    {
        string aplay = Script("aplay", $"echo \"$@\" > '{_dir}/args'\nexec cat > '{_dir}/played.raw'");
        var format = new AudioFormat(22050, 2);
        short[] tone = Signals.Tone(format, 0.1, 6000, 440, 660);
        AudioPlayback played = await new AlsaSink("default", aplay).PlayAsync(new AudioClip(format, tone), "speak", CancellationToken.None);
        Assert.Equal(TimeSpan.FromMilliseconds(100), played.Duration);
        Assert.Null(played.File);
        Assert.Equal(tone, MemoryMarshal.Cast<byte, short>(await File.ReadAllBytesAsync(Path.Combine(_dir, "played.raw"))).ToArray());
        Assert.Equal("-q -D default -t raw -f S16_LE -r 22050 -c 2", (await File.ReadAllTextAsync(Path.Combine(_dir, "args"))).Trim());

        string busy = Script("aplay-busy", "echo 'aplay: main:831: audio open error: Device or resource busy' >&2\nexit 1");
        AudioDeviceException e = await Assert.ThrowsAsync<AudioDeviceException>(async () =>
            await new AlsaSink("default", busy).PlayAsync(new AudioClip(format, tone), "speak", CancellationToken.None));
        Assert.Contains("Device or resource busy", e.Message);
    }
}
