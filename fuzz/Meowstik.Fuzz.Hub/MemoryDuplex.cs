using System.Threading.Channels;

namespace Meowstik.Fuzz.Hub;

/// <summary>
/// Two connected in-memory streams: what one end writes, the other reads. Disposing an end is end-of-stream for the
/// peer's reads, and the peer's later writes fail like a reset socket. Stands in for TCP so an execution costs no port.
/// </summary>
internal static class MemoryDuplex
{
    public static (Stream Client, Stream Server) Create()
    {
        var toServer = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        var toClient = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
        return (new End(toClient, toServer), new End(toServer, toClient));
    }

    private sealed class End(Channel<byte[]> incoming, Channel<byte[]> outgoing) : Stream
    {
        private ReadOnlyMemory<byte> _pending;

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_pending.IsEmpty)
            {
                if (!await incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false)) return 0;
                if (incoming.Reader.TryRead(out byte[]? chunk)) _pending = chunk;
            }
            int count = Math.Min(buffer.Length, _pending.Length);
            _pending[..count].CopyTo(buffer);
            _pending = _pending[count..];
            return count;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (buffer.IsEmpty) return ValueTask.CompletedTask;
            // Copied: the writer reuses its buffer as soon as this returns.
            if (!outgoing.Writer.TryWrite(buffer.ToArray())) throw new IOException("The peer closed the connection.");
            return ValueTask.CompletedTask;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            // Our writes end (the peer reads end-of-stream) and the peer's writes to us now fail.
            outgoing.Writer.TryComplete();
            incoming.Writer.TryComplete();
            base.Dispose(disposing);
        }
    }
}
