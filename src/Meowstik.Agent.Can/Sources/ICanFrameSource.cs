namespace Meowstik.Agent.Can;

/// <summary>Where CAN frames come from: a SocketCAN interface, a candump log being replayed, or a test's fake.</summary>
public interface ICanFrameSource
{
    /// <summary>The interface name frames are read from (<c>can0</c>), used in logs, stats and candump lines.</summary>
    string InterfaceName { get; }

    /// <summary>The frames as they arrive, error frames included (<see cref="CanFrame.IsError"/>), until cancelled or the source ends.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The frames.</returns>
    IAsyncEnumerable<CanFrame> ReadFramesAsync(CancellationToken cancellationToken);
}

/// <summary>Puts frames on a bus. <see cref="CanCapability"/> only calls it for allowed, rate-limited <c>can.send</c> requests.</summary>
public interface ICanFrameSender
{
    /// <summary>Sends one frame.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the frame is handed to the bus.</returns>
    ValueTask SendAsync(CanFrame frame, CancellationToken cancellationToken);
}

/// <summary>A CAN source or sender failed: the interface is missing, the kernel has no SocketCAN, a read failed.</summary>
public sealed class CanBusException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to do about it.</param>
    /// <param name="innerException">The cause.</param>
    public CanBusException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
