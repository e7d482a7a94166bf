using System.Buffers.Binary;
using System.Device.I2c;

namespace Meowstik.Agent.Iot;

/// <summary>
/// A BME280 (or BMP280) that is not there: an <see cref="I2cDevice"/> holding the chip's register map, so the real
/// Iot.Device.Bmxx80 driver talks to it exactly as to the chip (register pointer write, auto-increment reads, register
/// writes as address/value pairs). The calibration and raw ADC values are the Bosch datasheets' compensation example:
/// BME280 datasheet section 8 / BMP280 datasheet section 3.12 (T raw 519888, dig_T1..3 = 27504, 26435, -1000 → 25.08 °C;
/// P raw 415148 with dig_P1..9 = 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000 → 100653.27 Pa) and humidity
/// trims of a real chip (dig_H1..6 = 75, 362, 0, 313, 50, 30) with H raw 30000 → 55.0007 %rH by the datasheet formula.
/// For running a sensor agent on a laptop (simulation) and for tests: register a
/// <c>Func&lt;I2cConnectionSettings, I2cDevice&gt;</c> that returns one before <c>AddSensors</c>.
/// </summary>
public sealed class SimulatedBme280 : I2cDevice
{
    private readonly byte[] _registers = new byte[256];
    private readonly I2cConnectionSettings _settings;
    private int _pointer;

    /// <summary>Creates the device with the datasheet example's calibration and raw readings.</summary>
    /// <param name="settings">The bus and address it answers on.</param>
    /// <param name="chipId">The chip id register (0xD0): 0x60 for a BME280, 0x58 for a BMP280.</param>
    public SimulatedBme280(I2cConnectionSettings settings, byte chipId = 0x60)
    {
        _settings = settings;
        _registers[0xD0] = chipId;
        Put16(0x88, 27504);
        Put16(0x8A, 26435);
        Put16(0x8C, -1000);
        short[] p = [unchecked((short)36477), -10685, 3024, 2855, 140, -7, 15500, -14600, 6000];
        for (int i = 0; i < p.Length; i++)
        {
            Put16(0x8E + (2 * i), p[i]);
        }

        // Humidity trims (BME280 only): H1 at 0xA1, H2 at 0xE1/0xE2, H3 at 0xE3, H4 = E4[7:0]:E5[3:0], H5 = E6[7:0]:E5[7:4], H6 at 0xE7.
        const int h4 = 313, h5 = 50;
        _registers[0xA1] = 75;
        Put16(0xE1, 362);
        _registers[0xE3] = 0;
        _registers[0xE4] = (byte)(h4 >> 4);
        _registers[0xE5] = (byte)((h4 & 0x0F) | ((h5 & 0x0F) << 4));
        _registers[0xE6] = (byte)(h5 >> 4);
        _registers[0xE7] = 30;

        SetRaw(temperature: 519888, pressure: 415148, humidity: 30000);
    }

    /// <inheritdoc />
    public override I2cConnectionSettings ConnectionSettings => _settings;

    /// <summary>When set, every transfer fails as a real bus does when nothing acknowledges (EREMOTEIO).</summary>
    public bool Absent { get; set; }

    /// <summary>Forced-mode measurements started (writes of mode 01/10 to ctrl_meas, 0xF4).</summary>
    public int ForcedMeasurements { get; private set; }

    /// <summary>Whether the driver disposed the device.</summary>
    public bool Disposed { get; private set; }

    /// <summary>Sets the raw ADC values the next measurement reads (20-bit temperature and pressure, 16-bit humidity).</summary>
    /// <param name="temperature">Raw temperature.</param>
    /// <param name="pressure">Raw pressure.</param>
    /// <param name="humidity">Raw humidity.</param>
    public void SetRaw(int temperature, int pressure, int humidity)
    {
        Put20(0xF7, pressure);
        Put20(0xFA, temperature);
        _registers[0xFD] = (byte)(humidity >> 8);
        _registers[0xFE] = (byte)humidity;
    }

    /// <inheritdoc />
    public override void Read(Span<byte> buffer)
    {
        ThrowIfAbsent();
        for (int i = 0; i < buffer.Length; i++)
        {
            buffer[i] = _registers[_pointer++ & 0xFF];
        }
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ThrowIfAbsent();
        if (buffer.IsEmpty)
        {
            return;
        }

        _pointer = buffer[0];
        for (int i = 1; i < buffer.Length; i += 2)
        {
            // Register/value pairs (datasheet 6.2.1).
            WriteRegister(buffer[i - 1], buffer[i]);
        }
    }

    /// <inheritdoc />
    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        Disposed = true;
        base.Dispose(disposing);
    }

    private void WriteRegister(byte register, byte value)
    {
        switch (register)
        {
            case 0xE0 when value == 0xB6:
                // Soft reset: the control registers return to their power-on value (sleep mode, no oversampling).
                _registers[0xF2] = _registers[0xF4] = _registers[0xF5] = 0;
                break;
            case 0xF4 when (value & 0b11) is 0b01 or 0b10:
                // A forced measurement completes at once here; the chip then returns to sleep mode.
                ForcedMeasurements++;
                _registers[0xF4] = (byte)(value & 0b1111_1100);
                break;
            case 0xF2 or 0xF4 or 0xF5:
                _registers[register] = value;
                break;
            default:
                break; // read-only: calibration and data registers ignore writes
        }
    }

    private void ThrowIfAbsent()
    {
        if (Absent)
        {
            throw new IOException($"Error 121 performing I2C data transfer (no acknowledge from 0x{_settings.DeviceAddress:x2}).");
        }
    }

    private void Put16(int register, int value) => BinaryPrimitives.WriteInt16LittleEndian(_registers.AsSpan(register, 2), unchecked((short)value));

    private void Put20(int register, int value)
    {
        _registers[register] = (byte)(value >> 12);
        _registers[register + 1] = (byte)(value >> 4);
        _registers[register + 2] = (byte)((value & 0x0F) << 4);
    }
}
