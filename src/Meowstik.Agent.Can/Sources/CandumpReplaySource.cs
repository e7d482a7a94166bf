using System.Runtime.CompilerServices;

namespace Meowstik.Agent.Can;

/// <summary>
/// Replays a can-utils <c>candump -L</c> log as a <see cref="ICanFrameSource"/>: at the recorded speed (the gaps between the
/// timestamps, waited on the given <see cref="TimeProvider"/>) or as fast as possible, once or looping. Lines that are not
/// classic CAN frames are skipped and counted in <see cref="SkippedLines"/>.
/// </summary>
public sealed class CandumpReplaySource : ICanFrameSource
{
    private readonly Func<TextReader> _open;
    private readonly TimeProvider _time;
    private long _skipped;

    /// <summary>Replays a log file.</summary>
    /// <param name="path">The <c>candump -L</c> file.</param>
    /// <param name="atRecordedSpeed">True: wait the recorded gaps; false: as fast as possible.</param>
    /// <param name="loop">Start again at the end.</param>
    /// <param name="timeProvider">The clock for the gaps (<see cref="TimeProvider.System"/> when null).</param>
    /// <param name="interfaceName">The interface name to report; the first line's when null.</param>
    public CandumpReplaySource(string path, bool atRecordedSpeed = true, bool loop = false, TimeProvider? timeProvider = null, string? interfaceName = null)
        : this(() => new StreamReader(path), atRecordedSpeed, loop, timeProvider, interfaceName ?? FirstInterface(path))
    {
    }

    /// <summary>Replays a log read from a reader that <paramref name="open"/> creates (once per pass when looping).</summary>
    /// <param name="open">Opens the log; the replayer disposes each reader.</param>
    /// <param name="atRecordedSpeed">True: wait the recorded gaps; false: as fast as possible.</param>
    /// <param name="loop">Start again at the end.</param>
    /// <param name="timeProvider">The clock for the gaps.</param>
    /// <param name="interfaceName">The interface name to report.</param>
    public CandumpReplaySource(Func<TextReader> open, bool atRecordedSpeed = true, bool loop = false, TimeProvider? timeProvider = null, string? interfaceName = null)
    {
        ArgumentNullException.ThrowIfNull(open);
        _open = open;
        AtRecordedSpeed = atRecordedSpeed;
        Loop = loop;
        _time = timeProvider ?? TimeProvider.System;
        InterfaceName = interfaceName ?? "can0";
    }

    /// <inheritdoc />
    public string InterfaceName { get; }

    /// <summary>Whether the recorded gaps are waited.</summary>
    public bool AtRecordedSpeed { get; }

    /// <summary>Whether the log starts again at its end.</summary>
    public bool Loop { get; }

    /// <summary>Lines skipped because they are not classic CAN frames in candump's log format.</summary>
    public long SkippedLines => Interlocked.Read(ref _skipped);

    /// <inheritdoc />
    public async IAsyncEnumerable<CanFrame> ReadFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        do
        {
            using TextReader reader = _open();
            long first = long.MinValue;
            long started = _time.GetTimestamp();
            bool any = false;
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                if (!CandumpFormat.TryParseLine(line, out CanFrame frame, out _))
                {
                    Interlocked.Increment(ref _skipped);
                    continue;
                }

                any = true;
                if (AtRecordedSpeed)
                {
                    if (first == long.MinValue)
                    {
                        first = frame.TimestampMicroseconds;
                    }

                    TimeSpan due = TimeSpan.FromMicroseconds(Math.Max(0, frame.TimestampMicroseconds - first));
                    TimeSpan wait = due - _time.GetElapsedTime(started);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                    }
                }

                cancellationToken.ThrowIfCancellationRequested();
                yield return frame;
            }

            if (!any)
            {
                yield break;                            // an empty log would loop without pause
            }
        }
        while (Loop && !cancellationToken.IsCancellationRequested);
    }

    private static string? FirstInterface(string path)
    {
        using var reader = new StreamReader(path);
        while (reader.ReadLine() is { } line)
        {
            if (CandumpFormat.TryParseLine(line, out _, out Range name))
            {
                return line[name];
            }
        }

        return null;
    }
}
