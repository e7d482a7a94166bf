using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Iot.Device.SocketCan;

namespace Meowstik.Agent.Can;

/// <summary>
/// A Linux SocketCAN interface (<c>can0</c>, <c>vcan0</c>) through <c>Iot.Device.SocketCan.CanRaw</c>: reads standard,
/// extended, remote and error frames on a dedicated thread, and sends frames. One id in <c>kernelFilter</c> is filtered by
/// the kernel (<c>CAN_RAW_FILTER</c>); <see cref="CanCapability"/> filters per subscription on top.
/// </summary>
public sealed class SocketCanSource : ICanFrameSource, ICanFrameSender, IDisposable
{
    private readonly CanRaw _socket;
    private readonly Lock _sendGate = new();
    private long _readErrors;
    private int _disposed;

    /// <summary>Opens the interface.</summary>
    /// <param name="interfaceName">The interface, e.g. <c>can0</c>.</param>
    /// <param name="kernelFilter">An id for the kernel to pass alone (null: every frame).</param>
    /// <exception cref="CanBusException">The interface does not exist, or the kernel has no SocketCAN (AF_CAN).</exception>
    public SocketCanSource(string interfaceName = "can0", (uint Id, bool Extended)? kernelFilter = null)
    {
        if (string.IsNullOrEmpty(interfaceName) || interfaceName.Length > 15 || !interfaceName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
        {
            throw new CanBusException($"'{interfaceName}' is not a network interface name (1-15 of A-Z a-z 0-9 _ - .).");
        }

        InterfaceName = interfaceName;
        if (!OperatingSystem.IsLinux())
        {
            throw new CanBusException($"SocketCAN interface '{interfaceName}': SocketCAN exists only on Linux; use a CandumpReplaySource elsewhere.");
        }

        if (!Directory.Exists(Path.Combine("/sys/class/net", interfaceName)))
        {
            throw new CanBusException(
                $"SocketCAN interface '{interfaceName}' does not exist (no /sys/class/net/{interfaceName}). Bring up the adapter " +
                $"(ip link set {interfaceName} up type can bitrate 500000) or, to test, a virtual one (modprobe vcan; ip link add dev {interfaceName} type vcan; ip link set {interfaceName} up).");
        }

        try
        {
            _socket = new CanRaw(interfaceName);
            if (kernelFilter is { } f)
            {
                _socket.Filter(f.Extended ? new CanId { Extended = f.Id } : new CanId { Standard = f.Id });
            }
        }
        catch (Exception e) when (e is not CanBusException)
        {
            throw new CanBusException(
                $"SocketCAN interface '{interfaceName}' could not be opened: {e.Message}. The kernel needs SocketCAN (modprobe can can_raw) and the interface must be a CAN device.", e);
        }
    }

    /// <inheritdoc />
    public string InterfaceName { get; }

    /// <summary>Reads the socket failed to complete (counted, not thrown).</summary>
    public long ReadErrors => Interlocked.Read(ref _readErrors);

    /// <inheritdoc />
    public async IAsyncEnumerable<CanFrame> ReadFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var frames = Channel.CreateBounded<CanFrame>(new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.DropOldest });
        var reader = new Thread(() => ReadLoop(frames.Writer, cancellationToken)) { IsBackground = true, Name = $"SocketCAN {InterfaceName}" };
        reader.Start();
        await using CancellationTokenRegistration stop = cancellationToken.UnsafeRegister(static s => ((SocketCanSource)s!).Dispose(), this);
        while (await frames.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (frames.Reader.TryRead(out CanFrame frame))
            {
                yield return frame;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask SendAsync(CanFrame frame, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Span<byte> data = stackalloc byte[8];
        int n = frame.CopyDataTo(data);
        CanId id = frame.IsExtended ? new CanId { Extended = frame.Id } : new CanId { Standard = frame.Id };
        lock (_sendGate)
        {
            _socket.WriteFrame(data[..n], id);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();                              // also ends a blocked read
        }
    }

    private void ReadLoop(ChannelWriter<CanFrame> writer, CancellationToken cancellationToken)
    {
        Span<byte> data = stackalloc byte[8];
        Exception? failure = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested && Volatile.Read(ref _disposed) == 0)
            {
                if (!_socket.TryReadFrame(data, out int length, out CanId id, out DateTimeOffset when))
                {
                    Interlocked.Increment(ref _readErrors);
                    continue;
                }

                writer.TryWrite(ToFrame(data[..Math.Clamp(length, 0, 8)], id, (when.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10));
            }
        }
        catch (Exception e) when (Volatile.Read(ref _disposed) == 0)
        {
            failure = new CanBusException($"Reading SocketCAN interface '{InterfaceName}' failed: {e.Message}", e);
        }
        catch (Exception)
        {
            // Disposed while blocked in a read: the normal way to stop.
        }

        writer.TryComplete(failure);
    }

    internal static CanFrame ToFrame(ReadOnlySpan<byte> data, CanId id, long micros)
    {
        if (id.Error)
        {
            return new CanFrame(id.Value & CanFrame.MaxExtendedId, data, CanFrameFlags.Error, micros);
        }

        CanFrameFlags flags = id.ExtendedFrameFormat ? CanFrameFlags.Extended : CanFrameFlags.None;
        uint value = id.ExtendedFrameFormat ? id.Extended : id.Standard;
        return id.RemoteTransmissionRequest
            ? new CanFrame(value, [], flags | CanFrameFlags.Remote, micros, data.Length)
            : new CanFrame(value, data, flags, micros);
    }
}
