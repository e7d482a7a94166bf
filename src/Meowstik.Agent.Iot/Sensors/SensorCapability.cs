using System.Device.I2c;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Iot.Device.Bmxx80;
using Iot.Device.Bmxx80.ReadResult;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meowstik.Agent.Iot;

/// <summary>One measurement of a BME280/BMP280.</summary>
/// <param name="Chip">The chip: <c>bme280</c> or <c>bmp280</c>.</param>
/// <param name="TemperatureCelsius">The compensated temperature, °C.</param>
/// <param name="PressureHectopascals">The compensated pressure, hPa (null when the chip skipped it).</param>
/// <param name="HumidityPercent">The relative humidity, % (null on a BMP280, which has no humidity sensor).</param>
/// <param name="At">When it was read.</param>
public sealed record SensorReading(string Chip, double TemperatureCelsius, double? PressureHectopascals, double? HumidityPercent, DateTimeOffset At);

/// <summary>
/// The <c>sensor</c> capability: a Bosch BME280 (temperature, pressure, humidity) or BMP280 (temperature, pressure) on an
/// I2C bus, read through the Iot.Device.Bindings <c>Bme280</c>/<c>Bmp280</c> driver. Query <c>sensor.read</c> takes a fresh
/// measurement (forced mode); a <c>sensor.reading</c> event is published every <see cref="SensorOptions.Interval"/>.
/// A chip that does not answer is opened again at the next read; until then reads fail with <see cref="SensorUnavailableError"/>.
/// </summary>
public sealed class SensorCapability : MeshCapability, IDisposable
{
    /// <summary>The periodic event's name.</summary>
    public const string ReadingEvent = "sensor.reading";

    /// <summary>Error code: the chip did not answer on the bus (absent, wrong address, wrong chip id, bus error).</summary>
    public const string SensorUnavailableError = "sensor_unavailable";

    private const byte ChipIdRegister = 0xD0;
    private const byte Bme280ChipId = 0x60;
    private const byte Bmp280ChipId = 0x58;

    private readonly SensorOptions _options;
    private readonly Func<I2cConnectionSettings, I2cDevice> _openDevice;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IotInstruments _instruments;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Bmx280Base? _sensor;
    private string _chip = "unknown";
    private volatile SensorReading? _latest;
    private bool _disposed;

    /// <summary>Creates the capability.</summary>
    /// <param name="options">The options; defaults when null.</param>
    /// <param name="openDevice">Opens the I2C device; <see cref="I2cDevice.Create(I2cConnectionSettings)"/> (Linux <c>/dev/i2c-N</c>) when null.</param>
    /// <param name="logger">Logs the chip found and its failures.</param>
    /// <param name="timeProvider">The event interval and reading times; the system clock by default.</param>
    /// <param name="meterFactory">Creates the <c>Meowstik.Agent.Iot</c> meter.</param>
    public SensorCapability(
        SensorOptions? options = null,
        Func<I2cConnectionSettings, I2cDevice>? openDevice = null,
        ILogger<SensorCapability>? logger = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
        : base("sensor")
    {
        _options = options ?? new SensorOptions();
        _openDevice = openDevice ?? I2cDevice.Create;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _instruments = new IotInstruments(meterFactory);
        HandleQuery("sensor.read", ReadQueryAsync);
    }

    /// <summary>The last successful reading, or null before the first.</summary>
    public SensorReading? LatestReading => _latest;

    /// <summary>Takes one measurement (opening the chip first when needed).</summary>
    /// <param name="cancellationToken">Cancels waiting for the bus.</param>
    /// <returns>The reading.</returns>
    /// <exception cref="SensorUnavailableException">The chip did not answer.</exception>
    public async Task<SensorReading> ReadAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            SensorReading reading;
            try
            {
                Bmx280Base sensor = _sensor ??= Open();
                Bmp280ReadResult result = sensor switch
                {
                    Bme280 bme => await bme.ReadAsync().ConfigureAwait(false),
                    Bmp280 bmp => await bmp.ReadAsync().ConfigureAwait(false),
                    _ => throw new InvalidOperationException("Unknown chip."),
                };
                if (result.Temperature is not { } temperature)
                {
                    throw new IOException("the chip returned no temperature (temperature measurement skipped).");
                }

                reading = new SensorReading(
                    _chip,
                    temperature.DegreesCelsius,
                    result.Pressure?.Hectopascals,
                    (result as Bme280ReadResult)?.Humidity?.Percent,
                    _time.GetUtcNow());
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException or InvalidOperationException or ArgumentException)
            {
                _sensor?.Dispose();
                _sensor = null;
                _instruments.SensorReadings.Add(1, new KeyValuePair<string, object?>("result", "error"));
                IotLog.SensorFailed(_logger, _options.BusId, _options.Address, e.Message);
                throw new SensorUnavailableException(
                    $"No BME280/BMP280 answered on I2C bus {_options.BusId} (/dev/i2c-{_options.BusId}) at address 0x{_options.Address:x2}: {e.Message}", e);
            }

            _latest = reading;
            _instruments.SensorReadings.Add(1, new KeyValuePair<string, object?>("result", "ok"));
            return reading;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Publishes a <c>sensor.reading</c> event every <see cref="SensorOptions.Interval"/> until cancelled.</summary>
    /// <param name="publisher">Where the events go.</param>
    /// <param name="cancellationToken">Cancelled when the agent stops.</param>
    /// <returns>A task that ends when the agent stops (at once when the interval is zero).</returns>
    public override async Task RunAsync(IMeshPublisher publisher, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        if (_options.Interval == TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.Interval, _time);
        try
        {
            do
            {
                try
                {
                    SensorReading reading = await ReadAsync(cancellationToken).ConfigureAwait(false);
                    publisher.PublishEvent(ReadingEvent, MeshJson.Object(w => Write(w, reading)));
                }
                catch (SensorUnavailableException)
                {
                    // Logged by ReadAsync; the next tick opens the chip again.
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Closes the I2C device.</summary>
    public void Dispose()
    {
        _gate.Wait();
        try
        {
            _disposed = true;
            _sensor?.Dispose();
            _sensor = null;
        }
        finally
        {
            _gate.Release();
        }
    }

    internal static void Write(Utf8JsonWriter w, SensorReading reading)
    {
        w.WriteString("chip", reading.Chip);
        w.WriteNumber("temperature_c", Math.Round(reading.TemperatureCelsius, 2));
        if (reading.PressureHectopascals is { } hpa)
        {
            w.WriteNumber("pressure_hpa", Math.Round(hpa, 3));
        }

        if (reading.HumidityPercent is { } rh)
        {
            w.WriteNumber("humidity_percent", Math.Round(rh, 2));
        }

        w.WriteString("at", reading.At);
    }

    private async ValueTask<CommandResult> ReadQueryAsync(CommandContext context, CancellationToken cancellationToken)
    {
        try
        {
            SensorReading reading = await ReadAsync(cancellationToken).ConfigureAwait(false);
            return CommandResult.Ok(w => Write(w, reading));
        }
        catch (SensorUnavailableException e)
        {
            return CommandResult.Fail(SensorUnavailableError, e.Message);
        }
    }

    private Bmx280Base Open()
    {
        I2cDevice device = _openDevice(new I2cConnectionSettings(_options.BusId, _options.Address));
        try
        {
            SensorChip chip = _options.Chip;
            if (chip == SensorChip.Auto)
            {
                device.WriteByte(ChipIdRegister);
                byte id = device.ReadByte();
                chip = id switch
                {
                    Bme280ChipId => SensorChip.Bme280,
                    Bmp280ChipId => SensorChip.Bmp280,
                    _ => throw new IOException($"the chip id is 0x{id:x2}, neither a BME280 (0x60) nor a BMP280 (0x58)"),
                };
            }

            Bmx280Base sensor = chip == SensorChip.Bmp280 ? new Bmp280(device) : new Bme280(device);
            _chip = chip == SensorChip.Bmp280 ? "bmp280" : "bme280";
            IotLog.SensorOpened(_logger, _chip, _options.BusId, _options.Address);
            return sensor;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }
}

/// <summary>The BME280/BMP280 did not answer on its bus.</summary>
public sealed class SensorUnavailableException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, naming the bus and address.</param>
    /// <param name="inner">The driver's exception.</param>
    public SensorUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
