using System.Globalization;

namespace Meowstik.Agent.Iot;

/// <summary>Which Bosch environmental sensor is on the bus.</summary>
public enum SensorChip
{
    /// <summary>Read the chip id (register 0xD0): 0x60 is a BME280, 0x58 a BMP280.</summary>
    Auto = 0,

    /// <summary>BME280: temperature, pressure and humidity (chip id 0x60).</summary>
    Bme280,

    /// <summary>BMP280: temperature and pressure (chip id 0x58).</summary>
    Bmp280,
}

/// <summary>The sensor capability's options, bound from <c>Meowstik:Iot:Sensors</c> (<see cref="SectionName"/>).</summary>
public sealed class SensorOptions
{
    /// <summary>The configuration section: <c>Meowstik:Iot:Sensors</c>.</summary>
    public const string SectionName = "Meowstik:Iot:Sensors";

    /// <summary>The I2C bus (<c>/dev/i2c-&lt;BusId&gt;</c>). Default 1 (a Raspberry Pi's header pins 3/5).</summary>
    public int BusId { get; set; } = 1;

    /// <summary>The chip's 7-bit I2C address: 0x77 (119, SDO high, the default) or 0x76 (118, SDO to ground).</summary>
    public int Address { get; set; } = 0x77;

    /// <summary>The chip; default <see cref="SensorChip.Auto"/> (read the chip id).</summary>
    public SensorChip Chip { get; set; } = SensorChip.Auto;

    /// <summary>How often a <c>sensor.reading</c> event is published. Default 60 s; zero publishes none (queries only).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(60);

    internal IEnumerable<string> FindErrors(string section)
    {
        if (BusId < 0)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{section}:BusId is {BusId}: use the bus number of /dev/i2c-N (0 or more).");
        }

        if (Address is not (0x76 or 0x77))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{section}:Address is {Address} (0x{Address:x2}): a BME280/BMP280 answers at 118 (0x76) or 119 (0x77).");
        }

        if (!Enum.IsDefined(Chip))
        {
            yield return $"{section}:Chip is {Chip}: use Auto, Bme280 or Bmp280.";
        }

        if (Interval != TimeSpan.Zero && (Interval < TimeSpan.FromMilliseconds(100) || Interval > TimeSpan.FromDays(1)))
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"{section}:Interval is {Interval}: use zero (no events) or between 00:00:00.1 and 1.00:00:00.");
        }
    }
}
