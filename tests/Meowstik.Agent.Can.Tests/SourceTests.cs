using Microsoft.Extensions.Time.Testing;

namespace Meowstik.Agent.Can.Tests;

public sealed class SourceTests
{
    private static readonly string Log = Path.Combine(DbcDecodeTests.DataDir, "drive.candump");

    [Fact]
    public async Task Replay_as_fast_as_possible_yields_every_frame_with_its_recorded_timestamp()
    {
        var replay = new CandumpReplaySource(Log, atRecordedSpeed: false);
        List<CanFrame> frames = [];
        await foreach (CanFrame f in replay.ReadFramesAsync(CancellationToken.None))
        {
            frames.Add(f);
        }

        Assert.Equal("can0", replay.InterfaceName);
        Assert.Equal(8, frames.Count);
        Assert.Equal(1436509052_249713L, frames[0].TimestampMicroseconds);
        Assert.Equal((true, true, false), (frames[2].IsExtended, frames[6].IsRemote, frames[6].IsExtended));
        Assert.True(frames[7].IsError);
    }

    [Fact]
    public async Task Replay_at_recorded_speed_waits_the_recorded_gaps_on_the_time_provider()
    {
        var time = new FakeTimeProvider();
        var replay = new CandumpReplaySource(() => new StringReader("""
            (100.000000) can0 100#01
            (100.250000) can0 100#02
            not a frame
            (101.000000) can0 100#03
            """), atRecordedSpeed: true, timeProvider: time);
        await using IAsyncEnumerator<CanFrame> e = replay.ReadFramesAsync(CancellationToken.None).GetAsyncEnumerator();

        Assert.True(await e.MoveNextAsync());                              // the first frame at once
        ValueTask<bool> second = e.MoveNextAsync();
        await Task.Delay(20);
        Assert.False(second.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(249));
        await Task.Delay(20);
        Assert.False(second.IsCompleted);                                  // 249 of 250 ms
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await second.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, (int)(e.Current.DataLittleEndian & 0xFF));

        ValueTask<bool> third = e.MoveNextAsync();
        time.Advance(TimeSpan.FromMilliseconds(750));
        Assert.True(await third.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(await e.MoveNextAsync());
        Assert.Equal(1, replay.SkippedLines);
    }

    [Fact]
    public async Task A_looping_replay_starts_again_until_cancelled()
    {
        var replay = new CandumpReplaySource(Log, atRecordedSpeed: false, loop: true);
        using var cts = new CancellationTokenSource();
        int n = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (CanFrame _ in replay.ReadFramesAsync(cts.Token))
            {
                if (++n == 20)
                {
                    await cts.CancelAsync();
                }
            }
        });
        Assert.Equal(20, n);
    }

    [Fact]
    public async Task The_recorder_writes_what_the_replayer_reads_back_byte_for_byte()
    {
        string original = await File.ReadAllTextAsync(Log);
        var writer = new StringWriter { NewLine = "\n" };
        using (var recorder = new CandumpRecorder(writer, "can0"))
        {
            await foreach (CanFrame f in new CandumpReplaySource(Log, atRecordedSpeed: false).ReadFramesAsync(CancellationToken.None))
            {
                recorder.Write(f);
            }

            Assert.Equal(8, recorder.FramesWritten);
        }

        Assert.Equal(original.ReplaceLineEndings("\n"), writer.ToString());

        // And the frames survive a second pass unchanged.
        List<CanFrame> again = [];
        await foreach (CanFrame f in new CandumpReplaySource(() => new StringReader(writer.ToString()), atRecordedSpeed: false).ReadFramesAsync(CancellationToken.None))
        {
            again.Add(f);
        }

        List<CanFrame> first = [];
        await foreach (CanFrame f in new CandumpReplaySource(Log, atRecordedSpeed: false).ReadFramesAsync(CancellationToken.None))
        {
            first.Add(f);
        }

        Assert.Equal(first, again);
    }

    [Fact]
    public void The_socketcan_source_fails_clearly_when_the_interface_does_not_exist()
    {
        CanBusException e = Assert.Throws<CanBusException>(() => new SocketCanSource("nosuchcan7"));
        Assert.Contains("'nosuchcan7'", e.Message);
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("ip link", e.Message);

        Assert.Contains("not a network interface name", Assert.Throws<CanBusException>(() => new SocketCanSource("../../etc")).Message);
    }

    [Fact]
    public void Socketcan_ids_map_to_frames_for_standard_extended_remote_and_error()
    {
        var std = new Iot.Device.SocketCan.CanId { Standard = 0x123 };
        Assert.Equal("123#DEAD", SocketCanSource.ToFrame([0xDE, 0xAD], std, 0).ToString());
        var ext = new Iot.Device.SocketCan.CanId { Extended = 0x18FF50E5 };
        Assert.Equal("18FF50E5#01", SocketCanSource.ToFrame([0x01], ext, 0).ToString());
    }
}
