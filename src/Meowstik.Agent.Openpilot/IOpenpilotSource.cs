namespace Meowstik.Agent.Openpilot;

/// <summary>Receives one serialized openpilot <c>Event</c>; <paramref name="message"/> is only valid during the call.</summary>
/// <param name="service">The service it came from, e.g. <c>carState</c>.</param>
/// <param name="message">The framed, unpacked Cap'n Proto bytes.</param>
public delegate void OpenpilotMessageHandler(string service, ReadOnlySpan<byte> message);

/// <summary>
/// Where openpilot's messages come from: <see cref="MsgqOpenpilotSource"/> (on the device, msgq shared memory) or the
/// ZMQ source of <c>Meowstik.Agent.Openpilot.Zmq</c> (off the device, through openpilot's <c>bridge</c>).
/// </summary>
public interface IOpenpilotSource
{
    /// <summary>A short description for logs and errors, e.g. <c>msgq /dev/shm</c>.</summary>
    string Description { get; }

    /// <summary>The services read, e.g. <c>carState</c>, <c>selfdriveState</c>.</summary>
    IReadOnlyList<string> Services { get; }

    /// <summary>Hands each message to <paramref name="onMessage"/> (on one thread, in order) until cancelled.</summary>
    /// <param name="onMessage">Called per message; the span is reused after the call returns.</param>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>A task that ends when cancelled.</returns>
    Task RunAsync(OpenpilotMessageHandler onMessage, CancellationToken cancellationToken);
}
