using System.IO.MemoryMappedFiles;

namespace Meowstik.Agent.Openpilot;

/// <summary>The outcome of <see cref="MsgqRingReader.TryReadLatest"/>.</summary>
public enum MsgqReadStatus
{
    /// <summary>A new complete message was copied.</summary>
    Message,

    /// <summary>Nothing new since the last read (or the queue is empty, or the writer has just wrapped).</summary>
    NoNewMessage,

    /// <summary>The queue file does not exist (openpilot is not running, or another prefix).</summary>
    Missing,

    /// <summary>The writer wrapped around while the message was being copied: the copy was discarded.</summary>
    Overwritten,

    /// <summary>The header or a size tag makes no sense (not a msgq file, or a header size this reader does not know).</summary>
    Corrupt,
}

/// <summary>
/// A passive, read-only reader of one msgq queue file (<c>/dev/shm/msgq_&lt;service&gt;</c>). It maps the file read-only
/// (the file is opened with <see cref="FileAccess.Read"/>), never registers as a reader (it writes no
/// <c>num_readers</c>, read pointer or uid: a 16th reader would evict all of openpilot's), and never resizes the file.
/// Each read follows <c>write_pointer</c> to the newest complete message, copies it, and discards the copy when the
/// writer's wrap count changed meanwhile.
/// </summary>
/// <remarks>
/// msgq layout: a header of u64 <c>num_readers</c>, <c>write_pointer</c>, <c>write_uid</c>, then <c>read_pointers</c>,
/// <c>read_valids</c>, <c>read_uids</c> of 15 readers each (384 bytes; 12 readers = 312 bytes before mid-2024), then the
/// ring: each message is an int64 size and the payload, padded to 8 bytes; size −1 means "wrap to 0". A pointer packs the
/// wrap count (high 32 bits) and the byte offset (low 32 bits).
/// </remarks>
public sealed unsafe class MsgqRingReader : IDisposable
{
    /// <summary>The header of msgq with 15 readers (mid-2024 on).</summary>
    public const int HeaderSize15Readers = 384;

    /// <summary>The header of msgq with 12 readers (before mid-2024).</summary>
    public const int HeaderSize12Readers = 312;

    private readonly int _configuredHeader;
    private FileStream? _stream;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private byte* _base;
    private long _length;
    private ulong _lastWritePointer = ulong.MaxValue;
    private uint _cursorCycle = uint.MaxValue;
    private uint _cursorOffset;

    /// <summary>Creates a reader of <paramref name="path"/>; nothing is opened until the first read.</summary>
    /// <param name="path">The queue file, e.g. <c>/dev/shm/msgq_carState</c>.</param>
    /// <param name="headerSize">384 or 312 to force the header size; 0 infers it from the file's length.</param>
    public MsgqRingReader(string path, int headerSize = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (headerSize is not (0 or HeaderSize15Readers or HeaderSize12Readers))
        {
            throw new ArgumentOutOfRangeException(nameof(headerSize), headerSize, "The msgq header is 384 or 312 bytes (0 infers it).");
        }

        Path = path;
        _configuredHeader = headerSize;
    }

    /// <summary>The queue file.</summary>
    public string Path { get; }

    /// <summary>The header size in use (0 until the file was opened).</summary>
    public int HeaderSize { get; private set; }

    /// <summary>Whether the file is mapped.</summary>
    public bool IsOpen => _view is not null;

    /// <summary>Test hook: runs after a message was copied and before the wrap count is checked again.</summary>
    internal Action? AfterCopy { get; set; }

    /// <summary>Infers the header size from the file's length: the ring is a whole number of KiB after the header.</summary>
    /// <param name="fileLength">The queue file's length.</param>
    /// <returns>384, 312, or 0 when neither fits.</returns>
    public static int InferHeaderSize(long fileLength)
    {
        if (fileLength > HeaderSize15Readers + 16 && (fileLength - HeaderSize15Readers) % 1024 == 0)
        {
            return HeaderSize15Readers;
        }

        if (fileLength > HeaderSize12Readers + 16 && (fileLength - HeaderSize12Readers) % 1024 == 0)
        {
            return HeaderSize12Readers;
        }

        return fileLength > HeaderSize15Readers + 16 && fileLength % 8 == 0 ? HeaderSize15Readers : 0;
    }

    /// <summary>
    /// Copies the newest complete message into <paramref name="buffer"/> (grown when too small) if one arrived since the
    /// last call.
    /// </summary>
    /// <param name="buffer">The copy's buffer, reused across calls.</param>
    /// <param name="length">The message's length when the status is <see cref="MsgqReadStatus.Message"/>.</param>
    /// <returns>What happened.</returns>
    public MsgqReadStatus TryReadLatest(ref byte[] buffer, out int length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        length = 0;
        if (!EnsureOpen(out MsgqReadStatus failure))
        {
            return failure;
        }

        byte* data = _base + HeaderSize;
        long dataSize = _length - HeaderSize;
        ulong writePointer = Volatile.Read(ref *(ulong*)(_base + 8));
        if (writePointer == _lastWritePointer)
        {
            return MsgqReadStatus.NoNewMessage;
        }

        uint cycle = (uint)(writePointer >> 32);
        uint end = (uint)writePointer;
        if (end > dataSize || end % 8 != 0)
        {
            return MsgqReadStatus.Corrupt;
        }

        if (end == 0)
        {
            // Empty, or the writer has just wrapped and not yet written this cycle's first message.
            return MsgqReadStatus.NoNewMessage;
        }

        // Within one cycle, messages run back to back from offset 0 to the write pointer: walk them (from where the last
        // walk stopped, when it was this cycle) to the one that ends at the write pointer.
        uint position = _cursorCycle == cycle && _cursorOffset < end ? _cursorOffset : 0;
        long last = -1;
        long lastSize = 0;
        while (position < end)
        {
            long size = Volatile.Read(ref *(long*)(data + position));
            long next = (position + 8 + size + 7) & ~7L;
            if (size <= 0 || next > end)
            {
                return WrapCount() != cycle ? MsgqReadStatus.Overwritten : MsgqReadStatus.Corrupt;
            }

            last = position;
            lastSize = size;
            position = (uint)next;
        }

        if (last < 0)
        {
            return MsgqReadStatus.NoNewMessage;
        }

        if (buffer.Length < lastSize)
        {
            buffer = new byte[Math.Max(lastSize, buffer.Length * 2L)];
        }

        Interlocked.MemoryBarrier();
        new ReadOnlySpan<byte>(data + last + 8, (int)lastSize).CopyTo(buffer);
        Interlocked.MemoryBarrier();
        AfterCopy?.Invoke();
        if (WrapCount() != cycle)
        {
            // The writer wrapped during the copy and may have overwritten it: discard, and walk from 0 next time.
            _cursorCycle = uint.MaxValue;
            return MsgqReadStatus.Overwritten;
        }

        _cursorCycle = cycle;
        _cursorOffset = end;
        _lastWritePointer = writePointer;
        length = (int)lastSize;
        return MsgqReadStatus.Message;
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose() => Close();

    private uint WrapCount() => (uint)(Volatile.Read(ref *(ulong*)(_base + 8)) >> 32);

    private bool EnsureOpen(out MsgqReadStatus failure)
    {
        failure = MsgqReadStatus.Missing;
        if (_view is not null)
        {
            // openpilot only ever truncates the file to its own size; if it changed, map it again.
            if (_stream!.Length == _length)
            {
                return true;
            }

            Close();
        }

        if (!File.Exists(Path))
        {
            return false;
        }

        try
        {
            _stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
            long length = _stream.Length;
            int header = _configuredHeader != 0 ? _configuredHeader : InferHeaderSize(length);
            if (header == 0 || length < header + 16)
            {
                failure = MsgqReadStatus.Corrupt;
                Close();
                return false;
            }

            _map = MemoryMappedFile.CreateFromFile(_stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            _view = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _base = pointer + _view.PointerOffset;
            _length = length;
            HeaderSize = header;
            _lastWritePointer = ulong.MaxValue;
            _cursorCycle = uint.MaxValue;
            return true;
        }
        catch (IOException)
        {
            Close();
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            Close();
            return false;
        }
    }

    private void Close()
    {
        if (_view is not null)
        {
            if (_base is not null)
            {
                _view.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            _view.Dispose();
        }

        _map?.Dispose();
        _stream?.Dispose();
        _view = null;
        _map = null;
        _stream = null;
        _base = null;
        _length = 0;
    }
}
