namespace Meowstik.Agent.Gps;

/// <summary>Splits a byte stream into lines in one reused buffer (no allocation per line). Over-long lines are dropped.</summary>
internal sealed class LineReader
{
    private readonly Stream _stream;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;
    private bool _discarding;

    public LineReader(Stream stream, int bufferSize = 16 * 1024)
    {
        _stream = stream;
        _buffer = new byte[bufferSize];
    }

    /// <summary>The next line without its LF (valid until the next call); <c>null</c> at the end of the stream.</summary>
    public async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = new ReadOnlyMemory<byte>(_buffer, _start, newline);
                _start += newline + 1;
                if (_discarding)
                {
                    _discarding = false;
                    continue;
                }

                return line;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                _discarding = true; // a line longer than the buffer: garbage on the wire, skip to the next LF
                _end = 0;
            }

            int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end > _start && !_discarding)
                {
                    var last = new ReadOnlyMemory<byte>(_buffer, _start, _end - _start);
                    _start = _end;
                    return last;
                }

                return null;
            }

            _end += read;
        }
    }
}
