using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Gps;

/// <summary>
/// A gpsd client: connects to gpsd's JSON socket (TCP 2947 by default), sends <c>?WATCH={"enable":true,"json":true}</c>,
/// and turns TPV reports into fixes (SKY reports supply the satellites used). It reconnects with exponential backoff and
/// jitter whenever gpsd is down or the connection drops.
/// </summary>
public sealed class GpsdSource : IGpsSource
{
    /// <summary>gpsd's default port.</summary>
    public const int DefaultPort = 2947;

    private static readonly byte[] Watch = "?WATCH={\"enable\":true,\"json\":true};\n"u8.ToArray();

    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly GpsInstruments _instruments;

    /// <summary>Creates a client.</summary>
    /// <param name="host">gpsd's host name or address.</param>
    /// <param name="port">gpsd's port.</param>
    /// <param name="logger">Logs connections and reconnects.</param>
    /// <param name="timeProvider">Times the backoff.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Gps</c> meter.</param>
    public GpsdSource(string host = "127.0.0.1", int port = DefaultPort, ILogger? logger = null, TimeProvider? timeProvider = null, IMeterFactory? meterFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        Host = host;
        Port = port;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _instruments = new GpsInstruments(meterFactory);
    }

    /// <summary>gpsd's host.</summary>
    public string Host { get; }

    /// <summary>gpsd's port.</summary>
    public int Port { get; }

    /// <inheritdoc />
    public string Description => $"gpsd {Host}:{Port}";

    /// <summary>The first reconnect delay (doubled each attempt, with jitter).</summary>
    public TimeSpan ReconnectInitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gives up on a connection that sends nothing (gpsd sends VERSION at once and reports every second) after this long.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public async IAsyncEnumerable<GpsFix> ReadFixesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var backoff = new Backoff(ReconnectInitialDelay, ReconnectMaxDelay);
        bool first = true;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!first)
            {
                _instruments.Reconnects.Add(1);
            }

            first = false;
            (TcpClient? client, Exception? failure) = await TryConnectAsync(cancellationToken).ConfigureAwait(false);
            if (client is not null)
            {
                using (client)
                {
                    GpsLog.Connected(_logger, Description);
                    var reader = new LineReader(client.GetStream());
                    int? satellites = null;
                    while (true)
                    {
                        (ReadOnlyMemory<byte>? line, failure) = await TryReadAsync(reader, cancellationToken).ConfigureAwait(false);
                        if (line is not { } bytes)
                        {
                            failure ??= new IOException("gpsd closed the connection.");
                            break;
                        }

                        GpsFix? fix;
                        try
                        {
                            fix = ParseReport(bytes.Span, ref satellites);
                        }
                        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
                        {
                            GpsLog.LineDropped(_logger, Description, e.Message);
                            continue;
                        }

                        if (fix is not null)
                        {
                            backoff.Reset();
                            _instruments.Fixes.Add(1, new KeyValuePair<string, object?>("fix", GpsCapability.FixName(fix.Mode)));
                            yield return fix;
                        }
                    }
                }
            }

            TimeSpan delay = backoff.Next();
            GpsLog.Retrying(_logger, Description, failure?.Message ?? "disconnected", (long)delay.TotalMilliseconds);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Parses one gpsd JSON report: a TPV becomes a fix; a SKY updates <paramref name="satellites"/>; others are ignored.</summary>
    internal static GpsFix? ParseReport(ReadOnlySpan<byte> json, ref int? satellites)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("A gpsd report is a JSON object.");
        }

        string? kind = null;
        int mode = 0;
        double? lat = null, lon = null, alt = null, altMsl = null, speed = null, track = null, eph = null, epx = null, epy = null;
        DateTimeOffset? time = null;
        int? used = null, counted = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "class" when reader.TokenType == JsonTokenType.String:
                    kind = reader.GetString();
                    break;
                case "mode" when reader.TokenType == JsonTokenType.Number:
                    mode = reader.GetInt32();
                    break;
                case "time" when reader.TokenType == JsonTokenType.String:
                    time = DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
                    break;
                case "lat": lat = Number(ref reader); break;
                case "lon": lon = Number(ref reader); break;
                case "alt": alt = Number(ref reader); break;
                case "altMSL": altMsl = Number(ref reader); break;
                case "speed": speed = Number(ref reader); break;
                case "track": track = Number(ref reader); break;
                case "eph": eph = Number(ref reader); break;
                case "epx": epx = Number(ref reader); break;
                case "epy": epy = Number(ref reader); break;
                case "uSat" when reader.TokenType == JsonTokenType.Number:
                    used = reader.GetInt32();
                    break;
                case "satellites" when reader.TokenType == JsonTokenType.StartArray:
                    counted = CountUsed(ref reader);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (kind == "SKY")
        {
            satellites = used ?? counted ?? satellites;
            return null;
        }

        if (kind != "TPV")
        {
            return null;
        }

        GpsFixMode fixMode = mode switch { 3 => GpsFixMode.ThreeD, 2 => GpsFixMode.TwoD, _ => GpsFixMode.None };
        if (lat is null || lon is null)
        {
            fixMode = GpsFixMode.None;
        }

        bool has = fixMode != GpsFixMode.None;
        return new GpsFix
        {
            Mode = fixMode,
            Latitude = has ? lat : null,
            Longitude = has ? lon : null,
            AltitudeMeters = fixMode == GpsFixMode.ThreeD ? altMsl ?? alt : null,
            SpeedMetersPerSecond = has ? speed : null,
            HeadingDegrees = has ? track : null,
            HorizontalAccuracyMeters = has ? eph ?? (epx is { } x && epy is { } y ? Math.Sqrt(x * x + y * y) : null) : null,
            Satellites = satellites,
            Time = time,
        };
    }

    private static double? Number(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Number ? reader.GetDouble() : null;

    private static int CountUsed(ref Utf8JsonReader reader)
    {
        int count = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isUsed = reader.ValueTextEquals("used"u8);
                reader.Read();
                if (isUsed && reader.TokenType == JsonTokenType.True)
                {
                    count++;
                }

                reader.Skip();
            }
        }

        return count;
    }

    private async ValueTask<(TcpClient? Client, Exception? Failure)> TryConnectAsync(CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(Host, Port, cancellationToken).ConfigureAwait(false);
            await client.GetStream().WriteAsync(Watch, cancellationToken).ConfigureAwait(false);
            return (client, null);
        }
        catch (Exception e) when (e is SocketException or IOException && !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            return (null, e);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private async ValueTask<(ReadOnlyMemory<byte>? Line, Exception? Failure)> TryReadAsync(LineReader reader, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(IdleTimeout);
        try
        {
            return (await reader.ReadLineAsync(idle.Token).ConfigureAwait(false), null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, new TimeoutException($"gpsd sent nothing for {IdleTimeout.TotalSeconds:0.#} s."));
        }
        catch (Exception e) when (e is SocketException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return (null, e);
        }
    }
}
