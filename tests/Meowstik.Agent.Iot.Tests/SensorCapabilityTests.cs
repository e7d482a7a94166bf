using System.Device.I2c;
using System.Text.Json;

namespace Meowstik.Agent.Iot.Tests;

/// <summary>The sensor capability over the real Iot.Device.Bmxx80 driver, with the chip's register map in a fake I2C device.</summary>
public sealed class SensorCapabilityTests
{
    private static (SensorCapability Sensor, List<SimulatedBme280> Opened) Create(SensorOptions? options = null, byte chipId = 0x60, TimeProvider? time = null)
    {
        var opened = new List<SimulatedBme280>();
        var sensor = new SensorCapability(options ?? new SensorOptions { Address = 0x76, BusId = 3 }, settings =>
        {
            var device = new SimulatedBme280(settings, chipId);
            opened.Add(device);
            return device;
        }, timeProvider: time);
        return (sensor, opened);
    }

    [Fact]
    public async Task The_driver_gives_the_datasheet_compensation_example()
    {
        (SensorCapability sensor, List<SimulatedBme280> opened) = Create();
        using (sensor)
        {
            SensorReading reading = await sensor.ReadAsync();

            Assert.Equal("bme280", reading.Chip);
            Assert.Equal(25.0825, reading.TemperatureCelsius, 4);               // datasheet: 25.08 °C (t_fine 128422)
            Assert.Equal(1006.5327, reading.PressureHectopascals!.Value, 4);    // datasheet: 100653.27 Pa
            Assert.Equal(55.0007, reading.HumidityPercent!.Value, 4);           // the datasheet formula with these trims
            SimulatedBme280 device = Assert.Single(opened);
            Assert.Equal((3, 0x76), (device.ConnectionSettings.BusId, device.ConnectionSettings.DeviceAddress));
            Assert.Equal(1, device.ForcedMeasurements);
        }
    }

    [Fact]
    public async Task Sensor_read_is_a_query_answering_rounded_units()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        (SensorCapability sensor, _) = Create(time: time);
        await using var harness = new CapabilityHarness([sensor], new CapabilityHarnessOptions { Time = time });
        Assert.Contains("sensor.read", harness.Queries);

        CommandResult result = await harness.QueryAsync("sensor.read");

        Assert.True(result.IsSuccess, result.ErrorMessage);
        JsonElement r = result.Result.ToElement();
        Assert.Equal("bme280", r.GetProperty("chip").GetString());
        Assert.Equal(25.08, r.GetProperty("temperature_c").GetDouble());
        Assert.Equal(1006.533, r.GetProperty("pressure_hpa").GetDouble());
        Assert.Equal(55.0, r.GetProperty("humidity_percent").GetDouble());
        Assert.Equal(harness.Time.GetUtcNow(), r.GetProperty("at").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_bmp280_is_recognised_by_its_chip_id_and_has_no_humidity()
    {
        (SensorCapability sensor, _) = Create(chipId: 0x58);
        using (sensor)
        {
            SensorReading reading = await sensor.ReadAsync();
            Assert.Equal("bmp280", reading.Chip);
            Assert.Equal(25.0825, reading.TemperatureCelsius, 4);
            Assert.Equal(1006.5327, reading.PressureHectopascals!.Value, 4);
            Assert.Null(reading.HumidityPercent);
        }
    }

    [Fact]
    public async Task Another_chip_id_is_refused_naming_bus_and_address()
    {
        (SensorCapability sensor, List<SimulatedBme280> opened) = Create(chipId: 0x61);
        await using var harness = new CapabilityHarness(sensor);

        CommandResult result = await harness.QueryAsync("sensor.read");

        Assert.Equal(SensorCapability.SensorUnavailableError, result.ErrorCode);
        Assert.Contains("I2C bus 3", result.ErrorMessage);
        Assert.Contains("0x76", result.ErrorMessage);
        Assert.Contains("0x61", result.ErrorMessage);
        Assert.True(Assert.Single(opened).Disposed);
    }

    [Fact]
    public async Task A_chip_that_stops_answering_fails_typed_and_is_reopened_when_it_is_back()
    {
        (SensorCapability sensor, List<SimulatedBme280> opened) = Create();
        await using var harness = new CapabilityHarness(sensor);
        Assert.True((await harness.QueryAsync("sensor.read")).IsSuccess);

        opened[0].Absent = true;
        CommandResult failed = await harness.QueryAsync("sensor.read");
        Assert.Equal(SensorCapability.SensorUnavailableError, failed.ErrorCode);
        Assert.Contains("Error 121", failed.ErrorMessage);
        Assert.True(opened[0].Disposed);

        CommandResult again = await harness.QueryAsync("sensor.read");
        Assert.True(again.IsSuccess, again.ErrorMessage);
        Assert.Equal(2, opened.Count);
        Assert.Equal(25.08, again.Result.ToElement().GetProperty("temperature_c").GetDouble());
    }

    [Fact]
    public async Task Readings_are_published_as_events_at_the_interval()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.Parse("2026-01-19T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        (SensorCapability sensor, List<SimulatedBme280> opened) = Create(new SensorOptions { Interval = TimeSpan.FromSeconds(30) }, time: time);
        var publisher = new RecordingMeshPublisher(time: time);
        using var stop = new CancellationTokenSource();
        Task run = sensor.RunAsync(publisher, stop.Token);

        RecordedEvent first = await publisher.WaitForEventAsync(SensorCapability.ReadingEvent).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(25.08, first.Data.GetProperty("temperature_c").GetDouble());
        Assert.Single(publisher.Events);

        opened[0].SetRaw(temperature: 519888 + 16000, pressure: 415148, humidity: 30000);
        time.Advance(TimeSpan.FromSeconds(30));
        while (publisher.Events.Count < 2)
        {
            await Task.Delay(10);
        }

        RecordedEvent second = publisher.Events[1];
        Assert.Equal(SensorCapability.ReadingEvent, second.Name);
        Assert.True(second.Data.GetProperty("temperature_c").GetDouble() > 25.08);
        Assert.Equal(time.GetUtcNow(), second.Data.GetProperty("at").GetDateTimeOffset());

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        sensor.Dispose();
        Assert.True(opened[0].Disposed);
    }

    [Fact]
    public void Options_errors_name_their_keys()
    {
        string[] errors = [.. new SensorOptions { BusId = -1, Address = 0x50, Interval = TimeSpan.FromMilliseconds(10) }.FindErrors("Meowstik:Iot:Sensors")];
        Assert.Contains(errors, e => e.StartsWith("Meowstik:Iot:Sensors:BusId", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Meowstik:Iot:Sensors:Address is 80 (0x50)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Meowstik:Iot:Sensors:Interval", StringComparison.Ordinal));
        Assert.Empty(new SensorOptions { Interval = TimeSpan.Zero }.FindErrors("x"));
    }
}
