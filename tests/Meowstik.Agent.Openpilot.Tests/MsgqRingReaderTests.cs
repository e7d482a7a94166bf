using System.Security.Cryptography;

namespace Meowstik.Agent.Openpilot.Tests;

/// <summary>The passive msgq reader against ring files written as openpilot writes them.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MsgqRingReaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"meowstik-msgq-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            foreach (string f in Directory.GetFiles(_dir, "*", SearchOption.AllDirectories))
            {
                File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            Directory.Delete(_dir, recursive: true);
        }
    }

    private static byte[] Message(int n, int length = 100)
    {
        var bytes = new byte[length];
        new Random(n).NextBytes(bytes);
        bytes[0] = (byte)n;
        return bytes;
    }

    private static byte[] Read(MsgqRingReader reader, MsgqReadStatus expected = MsgqReadStatus.Message)
    {
        byte[] buffer = new byte[16];
        Assert.Equal(expected, reader.TryReadLatest(ref buffer, out int length));
        return buffer[..length];
    }

    [Fact]
    public void The_newest_complete_message_is_read_once()
    {
        using var queue = new MsgqTestQueue(Path.Combine(_dir, "msgq_carState"));
        using var reader = new MsgqRingReader(queue.Path);
        Read(reader, MsgqReadStatus.NoNewMessage); // empty queue
        queue.Send(Message(1));
        queue.Send(Message(2, 37));
        queue.Send(Message(3, 250));
        Assert.Equal(Message(3, 250), Read(reader));
        Read(reader, MsgqReadStatus.NoNewMessage);
        queue.Send(Message(4, 9));
        Assert.Equal(Message(4, 9), Read(reader));
        Assert.Equal(MsgqRingReader.HeaderSize15Readers, reader.HeaderSize);
    }

    [Theory]
    [InlineData(MsgqRingReader.HeaderSize15Readers)]
    [InlineData(MsgqRingReader.HeaderSize12Readers)]
    public void Both_header_sizes_are_inferred_from_the_file_and_wraparound_follows_the_minus_one_marker(int header)
    {
        using var queue = new MsgqTestQueue(Path.Combine(_dir, "msgq_selfdriveState"), dataSize: 2048, headerSize: header);
        using var reader = new MsgqRingReader(queue.Path);
        var random = new Random(header);
        for (int i = 0; i < 200; i++)
        {
            byte[] message = Message(i, random.Next(1, 400));
            queue.Send(message);
            // Read after most sends, but sometimes skip several (across a wrap) to find the newest by walking.
            if (random.Next(3) != 0)
            {
                Assert.Equal(message, Read(reader));
            }
        }

        Assert.Equal(header, reader.HeaderSize);
        Assert.True(queue.WrapMarkers > 20, $"{queue.WrapMarkers} wraps");
        Assert.True(queue.Cycle > 20);
        queue.Send(Message(999, 64));
        Assert.Equal(Message(999, 64), Read(reader));
    }

    [Fact]
    public void The_header_size_is_inferred_from_real_queue_sizes()
    {
        Assert.Equal(384, MsgqRingReader.InferHeaderSize((1024 * 1024) + 384));
        Assert.Equal(312, MsgqRingReader.InferHeaderSize((1024 * 1024) + 312));
        Assert.Equal(384, MsgqRingReader.InferHeaderSize((10 * 1024 * 1024) + 384));
        Assert.Equal(0, MsgqRingReader.InferHeaderSize(100));
    }

    [Fact]
    public void Right_after_a_wrap_the_reader_waits_for_the_cycle_s_first_message()
    {
        using var queue = new MsgqTestQueue(Path.Combine(_dir, "msgq_carState"), dataSize: 1024);
        using var reader = new MsgqRingReader(queue.Path);
        queue.Send(Message(1));
        Assert.Equal(Message(1), Read(reader));
        queue.WritePointer = (1UL << 32) | 0; // the writer wrapped and has not written yet
        Read(reader, MsgqReadStatus.NoNewMessage);
        queue.Send(Message(2));
        Assert.Equal(Message(2), Read(reader));
    }

    [Fact]
    public void A_wrap_during_the_copy_discards_it()
    {
        using var queue = new MsgqTestQueue(Path.Combine(_dir, "msgq_carState"), dataSize: 1024);
        using var reader = new MsgqRingReader(queue.Path);
        queue.Send(Message(1, 200));
        int copies = 0;
        uint before = queue.Cycle;
        reader.AfterCopy = () =>
        {
            // Deterministically, between the copy and the check: the publisher writes until it wraps.
            if (copies++ == 0)
            {
                while (queue.Cycle == before)
                {
                    queue.Send(Message(100 + copies, 200));
                }
            }
        };
        Read(reader, MsgqReadStatus.Overwritten);
        Assert.Equal(1, copies);
        queue.Send(Message(7, 50));
        Assert.Equal(Message(7, 50), Read(reader));
        Assert.Equal(2, copies);
    }

    [Fact]
    public void Nonsense_write_pointers_and_size_tags_are_corrupt_not_crashes()
    {
        using var queue = new MsgqTestQueue(Path.Combine(_dir, "msgq_carState"), dataSize: 1024);
        using var reader = new MsgqRingReader(queue.Path);
        queue.WritePointer = 4096; // beyond the ring
        Read(reader, MsgqReadStatus.Corrupt);
        queue.WritePointer = 12; // not 8-aligned
        Read(reader, MsgqReadStatus.Corrupt);
        queue.WritePointer = 64; // zero size tags up to it
        Read(reader, MsgqReadStatus.Corrupt);
        queue.Send(Message(3)); // the publisher writes at 64: still nothing valid from 0
        Read(reader, MsgqReadStatus.Corrupt);
    }

    [Fact]
    public void Reading_the_newest_message_allocates_nothing_once_the_buffer_fits()
    {
        using var queue = new MsgqTestQueue(Path.Combine(_dir, "msgq_carState"), dataSize: 4096);
        using var reader = new MsgqRingReader(queue.Path);
        byte[] message = Capnp.Vector("2026-06_carState");
        byte[] buffer = new byte[512];
        queue.Send(message);
        Assert.Equal(MsgqReadStatus.Message, reader.TryReadLatest(ref buffer, out _)); // opens the mapping
        long allocated = 0;
        for (int i = 0; i < 200; i++)
        {
            queue.Send(message); // wraps every ~20 messages
            long before = GC.GetAllocatedBytesForCurrentThread();
            MsgqReadStatus status = reader.TryReadLatest(ref buffer, out int length);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(MsgqReadStatus.Message, status);
            Assert.Equal(message.Length, length);
        }

        Assert.Equal(0, allocated);
        Assert.True(queue.WrapMarkers > 5);
    }

    [Fact]
    public void A_missing_queue_is_missing_until_openpilot_creates_it()
    {
        string path = Path.Combine(_dir, "msgq_gpsLocation");
        using var reader = new MsgqRingReader(path);
        Read(reader, MsgqReadStatus.Missing);
        using var queue = new MsgqTestQueue(path);
        queue.Send(Message(5));
        Assert.Equal(Message(5), Read(reader));
    }

    [Fact]
    public void The_file_is_never_opened_writable_nor_changed()
    {
        using var queue = new MsgqTestQueue(Path.Combine(_dir, "msgq_carState"), dataSize: 2048);
        for (int i = 0; i < 30; i++)
        {
            queue.Send(Message(i, 90));
        }

        queue.Dispose(); // the publisher's read-write handle is closed: every descriptor left on the file is the reader's
        File.SetUnixFileMode(queue.Path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead); // 0444
        byte[] before = queue.ReadAll();
        DateTime modified = File.GetLastWriteTimeUtc(queue.Path);

        using var reader = new MsgqRingReader(queue.Path);
        Assert.Equal(Message(29, 90), Read(reader));
        Read(reader, MsgqReadStatus.NoNewMessage);

        // The kernel's view of this process: the mapping is read-only shared ("r--s") and every descriptor on the file is O_RDONLY.
        string[] maps = [.. File.ReadAllLines("/proc/self/maps").Where(l => l.EndsWith(queue.Path, StringComparison.Ordinal))];
        Assert.NotEmpty(maps);
        Assert.All(maps, l => Assert.Equal("r--s", l.Split(' ')[1]));
        int descriptors = 0;
        foreach (string fd in Directory.GetFiles("/proc/self/fd"))
        {
            string? target = null;
            try
            {
                target = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
            }

            if (target == queue.Path)
            {
                string flags = File.ReadAllLines($"/proc/self/fdinfo/{Path.GetFileName(fd)}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
                Assert.Equal(0, Convert.ToInt32(flags["flags:".Length..].Trim(), 8) & 3); // O_RDONLY
                descriptors++;
            }
        }

        Assert.True(descriptors >= 1);

        reader.Dispose();
        Assert.Equal(SHA256.HashData(before), SHA256.HashData(queue.ReadAll()));
        Assert.Equal(before.Length, new FileInfo(queue.Path).Length);
        Assert.Equal(modified, File.GetLastWriteTimeUtc(queue.Path));
        Assert.Equal(0UL, BitConverter.ToUInt64(before, 0)); // num_readers: never registered
    }

    [Fact]
    public void OPENPILOT_PREFIX_puts_the_queues_in_a_folder_as_msgq_does()
    {
        Assert.Equal("/dev/shm/msgq_carState", MsgqOpenpilotSource.QueuePath("/dev/shm", null, "carState"));
        Assert.Equal("/dev/shm/msgq_sim1/carState", MsgqOpenpilotSource.QueuePath("/dev/shm", "sim1", "carState"));

        using var queue = new MsgqTestQueue(Path.Combine(_dir, "msgq_sim1", "carState"));
        queue.Send(Capnp.Vector("2026-06_carState"));
        Assert.True(MsgqOpenpilotSource.QueueExists(_dir, "sim1"));
        Assert.False(MsgqOpenpilotSource.QueueExists(_dir, "sim2"));
        Assert.False(MsgqOpenpilotSource.QueueExists(_dir, "sim1", "selfdriveState"));
        using var source = new MsgqOpenpilotSource(_dir, "sim1", ["carState", "selfdriveState"]);
        Assert.Equal("sim1", source.Prefix);
        var seen = new List<(string, byte[])>();
        Assert.Equal(1, source.PollOnce((service, message) => seen.Add((service, message.ToArray()))));
        Assert.Equal("carState", Assert.Single(seen).Item1);
        Assert.Equal(Capnp.Vector("2026-06_carState"), seen[0].Item2);
        Assert.Equal(0, source.PollOnce((_, _) => Assert.Fail("nothing new")));
    }
}
