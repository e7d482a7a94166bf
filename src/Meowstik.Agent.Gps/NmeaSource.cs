using System.Diagnostics.Metrics;
using System.IO.Ports;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Gps;

/// <summary>
/// Reads NMEA 0183 (GGA, RMC, VTG; checksums verified) from a serial port, a file or any stream, and assembles one
/// <see cref="GpsFix"/> per epoch. Lines are parsed in place in a reused buffer.
/// </summary>
public sealed class NmeaSource : IGpsSource
{
    private readonly Func<CancellationToken, ValueTask<Stream>> _open;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly GpsInstruments _instruments;

    /// <summary>Creates a source over streams that <paramref name="open"/> returns (opened again after an error or at the end when <see cref="Loop"/>).</summary>
    /// <param name="description">For logs, e.g. <c>serial /dev/ttyACM0</c>.</param>
    /// <param name="open">Opens the stream; the source disposes it.</param>
    /// <param name="logger">Logs reconnects and dropped lines.</param>
    /// <param name="timeProvider">Paces replays and dates fixes before the first RMC.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Gps</c> meter.</param>
    public NmeaSource(string description, Func<CancellationToken, ValueTask<Stream>> open, ILogger? logger = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(description);
        ArgumentNullException.ThrowIfNull(open);
        Description = description;
        _open = open;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _instruments = new GpsInstruments(meterFactory);
    }

    /// <inheritdoc />
    public string Description { get; }

    internal Func<CancellationToken, ValueTask<Stream>> OpenStream => _open;

    /// <summary>A pause after each fix (to replay a log at its recorded 1 Hz, say); zero reads as fast as the stream gives.</summary>
    public TimeSpan FixInterval { get; init; }

    /// <summary>Open the stream again at its end (replay a log forever). A serial port never ends.</summary>
    public bool Loop { get; init; }

    /// <summary>Reopen after an I/O error (a serial port unplugged) with backoff; otherwise the error ends the enumeration.</summary>
    public bool ReconnectOnError { get; init; }

    /// <summary>The first reconnect delay (doubled each attempt, with jitter).</summary>
    public TimeSpan ReconnectInitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A source replaying an NMEA log file.</summary>
    /// <param name="path">The log (one sentence per line).</param>
    /// <param name="fixInterval">A pause after each fix; zero for as fast as possible.</param>
    /// <param name="loop">Start again at the end.</param>
    /// <param name="logger">Logs dropped lines.</param>
    /// <param name="timeProvider">Paces the replay.</param>
    /// <param name="meterFactory">Creates the meter.</param>
    /// <returns>The source.</returns>
    public static NmeaSource FromFile(string path, TimeSpan fixInterval = default, bool loop = false, ILogger? logger = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new NmeaSource($"nmea file {path}", _ => ValueTask.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, useAsync: true)), logger, timeProvider, meterFactory)
        {
            FixInterval = fixInterval,
            Loop = loop,
        };
    }

    /// <summary>A source reading a serial GPS receiver (8N1), reopening the port with backoff when it fails or disappears.</summary>
    /// <param name="portName">The port, e.g. <c>/dev/ttyACM0</c>, <c>/dev/ttyUSB0</c>, <c>COM3</c>.</param>
    /// <param name="baudRate">The receiver's rate (9600 for most; 38400 or 115200 for 5-10 Hz modules).</param>
    /// <param name="logger">Logs reconnects and dropped lines.</param>
    /// <param name="meterFactory">Creates the meter.</param>
    /// <returns>The source.</returns>
    public static NmeaSource FromSerialPort(string portName, int baudRate = 9600, ILogger? logger = null, IMeterFactory? meterFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(portName);
        return new NmeaSource($"serial {portName}@{baudRate}", _ =>
        {
            var port = new SerialPort(portName, baudRate, Parity.None, 8, StopBits.One);
            try
            {
                port.Open();
                return ValueTask.FromResult<Stream>(new SerialPortStream(port));
            }
            catch
            {
                port.Dispose();
                throw;
            }
        }, logger, null, meterFactory)
        {
            Loop = true,
            ReconnectOnError = true,
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<GpsFix> ReadFixesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var backoff = new Backoff(ReconnectInitialDelay, ReconnectMaxDelay);
        var assembler = new NmeaFixAssembler(_time);
        bool first = true;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!first)
            {
                _instruments.Reconnects.Add(1);
            }

            first = false;
            (Stream? stream, Exception? failure) = await TryOpenAsync(cancellationToken).ConfigureAwait(false);
            if (stream is not null)
            {
                await using (stream.ConfigureAwait(false))
                {
                    GpsLog.Connected(_logger, Description);
                    var reader = new LineReader(stream);
                    while (true)
                    {
                        (ReadOnlyMemory<byte>? line, failure) = await TryReadAsync(reader, cancellationToken).ConfigureAwait(false);
                        if (line is not { } bytes)
                        {
                            break;
                        }

                        NmeaParseStatus status = NmeaParser.TryParse(bytes.Span, out NmeaSentence sentence);
                        _instruments.NmeaSentences.Add(1, new KeyValuePair<string, object?>("result", GpsInstruments.Tag(status)));
                        if (status is not (NmeaParseStatus.Ok or NmeaParseStatus.Unsupported))
                        {
                            GpsLog.LineDropped(_logger, Description, GpsInstruments.Tag(status));
                            continue;
                        }

                        if (status == NmeaParseStatus.Ok && assembler.Add(sentence) is { } fix)
                        {
                            backoff.Reset();
                            yield return Count(fix);
                            if (FixInterval > TimeSpan.Zero)
                            {
                                await Task.Delay(FixInterval, _time, cancellationToken).ConfigureAwait(false);
                            }
                        }
                    }
                }

                if (assembler.Flush() is { } last)
                {
                    yield return Count(last);
                }
            }

            if (failure is null && !Loop)
            {
                GpsLog.SourceEnded(_logger, Description);
                yield break;
            }

            if (failure is not null && !ReconnectOnError)
            {
                throw new IOException($"GPS source {Description} failed: {failure.Message}", failure);
            }

            TimeSpan delay = failure is null ? TimeSpan.Zero : backoff.Next();
            if (failure is not null)
            {
                GpsLog.Retrying(_logger, Description, failure.Message, (long)delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private GpsFix Count(GpsFix fix)
    {
        _instruments.Fixes.Add(1, new KeyValuePair<string, object?>("fix", GpsCapability.FixName(fix.Mode)));
        return fix;
    }

    private async ValueTask<(Stream? Stream, Exception? Failure)> TryOpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return (await _open(cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return (null, e);
        }
    }

    private static async ValueTask<(ReadOnlyMemory<byte>? Line, Exception? Failure)> TryReadAsync(LineReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return (null, e);
        }
    }

    /// <summary>The port's stream, closing the port with it (and on cancellation, since a serial read may not observe the token).</summary>
    private sealed class SerialPortStream(SerialPort port) : Stream
    {
        private readonly Stream _inner = port.BaseStream;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await using (cancellationToken.Register(static p => ((SerialPort)p!).Close(), port).ConfigureAwait(false))
            {
                try
                {
                    return await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
            }
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                port.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
