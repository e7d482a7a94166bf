using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Meowstik.Agent.Openpilot.Tests;

/// <summary>
/// A msgq queue file written the way openpilot's publisher writes it (msgq.cc <c>msgq_msg_send</c>): size tag + payload
/// padded to 8, a −1 tag and a wrap to offset 0 when the next message and a wrap tag would not fit, then the write pointer
/// (wrap count in the high 32 bits). The reader under test only ever maps it read-only.
/// </summary>
internal sealed class MsgqTestQueue : IDisposable
{
    private readonly SafeFileHandle _file;

    public MsgqTestQueue(string path, int dataSize = 4096, int headerSize = MsgqRingReader.HeaderSize15Readers)
    {
        Path = path;
        DataSize = dataSize;
        HeaderSize = headerSize;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        _file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite);
        RandomAccess.Write(_file, new byte[headerSize + dataSize], 0);
        // A publisher sets its uid; readers would register themselves (this one never does).
        WriteUInt64(16, 0xC0FFEE);
    }

    public string Path { get; }

    public int DataSize { get; }

    public int HeaderSize { get; }

    public int WrapMarkers { get; private set; }

    public ulong WritePointer
    {
        get => ReadUInt64(8);
        set => WriteUInt64(8, value);
    }

    public uint Cycle => (uint)(WritePointer >> 32);

    public void Send(ReadOnlySpan<byte> message)
    {
        long total = Align(message.Length + 8);
        if (3 * total > DataSize)
        {
            throw new ArgumentException("msgq needs room for three messages");
        }

        ulong wp = WritePointer;
        uint cycles = (uint)(wp >> 32);
        uint pointer = (uint)wp;
        long remaining = DataSize - pointer - total - 8;
        if (remaining <= 0)
        {
            WriteInt64(HeaderSize + pointer, -1);
            WrapMarkers++;
            pointer = 0;
            cycles++;
            WritePointer = ((ulong)cycles << 32) | 0;
        }

        WriteInt64(HeaderSize + pointer, message.Length);
        RandomAccess.Write(_file, message, HeaderSize + pointer + 8);
        WritePointer = ((ulong)cycles << 32) | (uint)Align(pointer + 8 + message.Length);
    }

    public byte[] ReadAll() => File.ReadAllBytes(Path);

    public void Dispose() => _file.Dispose();

    private static long Align(long n) => (n + 7) & ~7L;

    private ulong ReadUInt64(long offset)
    {
        Span<byte> b = stackalloc byte[8];
        RandomAccess.Read(_file, b, offset);
        return BinaryPrimitives.ReadUInt64LittleEndian(b);
    }

    private void WriteUInt64(long offset, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, value);
        RandomAccess.Write(_file, b, offset);
    }

    private void WriteInt64(long offset, long value) => WriteUInt64(offset, (ulong)value);
}
