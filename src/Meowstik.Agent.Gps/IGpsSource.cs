namespace Meowstik.Agent.Gps;

/// <summary>Where fixes come from: <see cref="GpsdSource"/> (gpsd over TCP) or <see cref="NmeaSource"/> (serial port, file, stream).</summary>
public interface IGpsSource
{
    /// <summary>A short description for logs and errors, e.g. <c>gpsd 127.0.0.1:2947</c>.</summary>
    string Description { get; }

    /// <summary>
    /// Yields fixes as the receiver reports them until <paramref name="cancellationToken"/> fires. A live source reconnects
    /// by itself (with backoff) and never ends; a file source without looping ends at the end of the file.
    /// </summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The fixes, in order.</returns>
    IAsyncEnumerable<GpsFix> ReadFixesAsync(CancellationToken cancellationToken = default);
}
