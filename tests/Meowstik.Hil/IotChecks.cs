using System.Buffers.Binary;
using System.Device.I2c;
using System.Text.Json;
using Meowstik.Agent.Iot;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hil;

/// <summary>
/// The IoT plugin's sensor path: the real Iot.Device.Bmxx80 Bme280 binding, opened by the plugin on /dev/i2c-N through
/// System.Device.I2c, talking to i2c-xfer-stub's emulated register device at 0x76. The registers are preloaded with the
/// BME280 chip id and the Bosch datasheet's compensation example (the numbers of tests/Meowstik.Agent.Iot.Tests'
/// SimulatedBme280 in the IoT plugin), so the plugin must return the datasheet's values.
/// </summary>
internal static class IotChecks
{
    private const int Address = 0x76;

    public static async Task RunAll()
    {
        int bus = -1;
        foreach (string dir in Directory.Exists("/sys/class/i2c-dev") ? Directory.GetDirectories("/sys/class/i2c-dev") : [])
        {
            if (File.ReadAllText(Path.Combine(dir, "name")).Trim() == "I2C xfer stub driver")
            {
                bus = int.Parse(Path.GetFileName(dir).AsSpan("i2c-".Length), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        await Hil.Check("iot: sensor.read through the real Bme280 binding on /dev/i2c-N returns the datasheet's compensation example", async () =>
        {
            Hil.Expect(bus >= 0, "no i2c-xfer-stub adapter in /sys/class/i2c-dev (module not loaded?)");
            Hil.Log($"i2c-xfer-stub is /dev/i2c-{bus}");
            using (I2cDevice loader = I2cDevice.Create(new I2cConnectionSettings(bus, Address)))
            {
                byte[] image = new byte[257];                   // [register 0, 256 values]: the stub auto-increments
                Bme280Registers().CopyTo(image.AsSpan(1));
                loader.Write(image);
            }

            var services = new ServiceCollection();
            services.AddMeowstikAgent(o => o.DeviceId = "hil-vm").AddSensors(o =>
            {
                o.BusId = bus;
                o.Address = Hil.Breaks("i2c-addr") ? 0x77 : Address;   // HIL_BREAK=i2c-addr: nothing answers at 0x77
                o.Chip = SensorChip.Auto;
                o.Interval = TimeSpan.Zero;
            });
            await using ServiceProvider provider = services.BuildServiceProvider();
            SensorCapability sensor = provider.GetRequiredService<SensorCapability>();
            var mesh = new HilPublisher();

            JsonElement r = Hil.Ok(await Hil.Call(sensor, mesh, "sensor.read", null, CommandKind.Query), "sensor.read");
            Hil.Expect(r.GetProperty("chip").GetString() == "bme280", $"chip {r.GetProperty("chip")} (the chip id register says 0x60: bme280)");
            Hil.Near(25.08, r.GetProperty("temperature_c").GetDouble(), 1e-9, "temperature_c (datasheet: 25.08 °C)");
            Hil.Near(1006.533, r.GetProperty("pressure_hpa").GetDouble(), 1e-9, "pressure_hpa (datasheet: 100653.27 Pa)");
            Hil.Near(55.0, r.GetProperty("humidity_percent").GetDouble(), 1e-9, "humidity_percent");

            SensorReading precise = await sensor.ReadAsync();
            Hil.Near(25.0825, precise.TemperatureCelsius, 1e-4, "temperature");
            Hil.Near(1006.5327, precise.PressureHectopascals ?? double.NaN, 1e-4, "pressure");
            Hil.Near(55.0007, precise.HumidityPercent ?? double.NaN, 1e-4, "humidity");

            // The binding really drove the device: it wrote the measurement control registers (ctrl_hum 0xF2, ctrl_meas 0xF4).
            using I2cDevice probe = I2cDevice.Create(new I2cConnectionSettings(bus, Address));
            Span<byte> ctrl = stackalloc byte[3];
            probe.WriteRead([0xF2], ctrl);
            Hil.Log($"after the reads: ctrl_hum=0x{ctrl[0]:X2} status=0x{ctrl[1]:X2} ctrl_meas=0x{ctrl[2]:X2}");
            Hil.Expect(ctrl[0] != 0 && ctrl[2] != 0, "the binding never wrote ctrl_hum/ctrl_meas");
        });
    }

    /// <summary>The BME280 register map of the datasheet example (the same as SimulatedBme280 in the IoT plugin).</summary>
    private static byte[] Bme280Registers()
    {
        byte[] r = new byte[256];
        void Put16(int register, int value) => BinaryPrimitives.WriteInt16LittleEndian(r.AsSpan(register, 2), unchecked((short)value));
        void Put20(int register, int value)
        {
            r[register] = (byte)(value >> 12);
            r[register + 1] = (byte)(value >> 4);
            r[register + 2] = (byte)((value & 0x0F) << 4);
        }

        r[0xD0] = 0x60;                                            // chip id: BME280
        Put16(0x88, 27504);                                        // dig_T1..T3
        Put16(0x8A, 26435);
        Put16(0x8C, -1000);
        int[] p = [36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000];   // dig_P1..P9
        for (int i = 0; i < p.Length; i++)
        {
            Put16(0x8E + (2 * i), p[i]);
        }

        const int h4 = 313, h5 = 50;                               // dig_H1..H6 = 75, 362, 0, 313, 50, 30
        r[0xA1] = 75;
        Put16(0xE1, 362);
        r[0xE3] = 0;
        r[0xE4] = h4 >> 4;
        r[0xE5] = (h4 & 0x0F) | ((h5 & 0x0F) << 4);
        r[0xE6] = h5 >> 4;
        r[0xE7] = 30;
        Put20(0xF7, 415148);                                       // raw pressure
        Put20(0xFA, 519888);                                       // raw temperature
        r[0xFD] = 30000 >> 8;                                      // raw humidity
        r[0xFE] = 30000 & 0xFF;
        return r;
    }
}
