namespace Meowstik.Agent.Can;

/// <summary>
/// Writes frames in can-utils' <c>candump -L</c> log format, which <see cref="CandumpReplaySource"/>, <c>canplayer</c> and
/// cantools read back. Writing a frame allocates nothing (the writer may, when it flushes).
/// </summary>
public sealed class CandumpRecorder : IDisposable, IAsyncDisposable
{
    private readonly TextWriter _writer;
    private readonly bool _ownsWriter;
    private readonly string _interfaceName;
    private readonly Lock _gate = new();

    /// <summary>Records to a writer.</summary>
    /// <param name="writer">Where lines go.</param>
    /// <param name="interfaceName">The interface name written on each line.</param>
    /// <param name="ownsWriter">Whether disposing the recorder disposes the writer.</param>
    public CandumpRecorder(TextWriter writer, string interfaceName = "can0", bool ownsWriter = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentException.ThrowIfNullOrWhiteSpace(interfaceName);
        _writer = writer;
        _interfaceName = interfaceName;
        _ownsWriter = ownsWriter;
    }

    /// <summary>Records to a file (appended to when it exists).</summary>
    /// <param name="path">The file.</param>
    /// <param name="interfaceName">The interface name written on each line.</param>
    /// <returns>The recorder, which owns the file.</returns>
    public static CandumpRecorder Create(string path, string interfaceName = "can0") =>
        new(new StreamWriter(path, append: true) { NewLine = "\n" }, interfaceName, ownsWriter: true);

    /// <summary>The number of frames written.</summary>
    public long FramesWritten { get; private set; }

    /// <summary>Writes one frame as a line.</summary>
    /// <param name="frame">The frame.</param>
    public void Write(in CanFrame frame)
    {
        Span<char> line = stackalloc char[CandumpFormat.MaxLineLength + 64];
        if (!CandumpFormat.TryFormatLine(frame, _interfaceName, line, out int n))
        {
            throw new InvalidOperationException($"Interface name '{_interfaceName}' is too long for a candump line.");
        }

        line[n++] = '\n';
        lock (_gate)
        {
            _writer.Write(line[..n]);
            FramesWritten++;
        }
    }

    /// <summary>Flushes the writer.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            _writer.Flush();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Flush();
        if (_ownsWriter)
        {
            _writer.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _writer.FlushAsync().ConfigureAwait(false);
        if (_ownsWriter)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
    }
}
