using System.Text;

namespace Meowstik.Agent.Gps.Tests;

/// <summary>Epoch assembly (GGA + RMC + VTG into one fix) and the stream/file reader.</summary>
public sealed class NmeaSourceTests
{
    internal static string DrivePath => Path.Combine(AppContext.BaseDirectory, "Data", "drive.nmea");

    [Fact]
    public void An_epoch_of_GGA_RMC_VTG_is_one_3D_fix()
    {
        var assembler = new NmeaFixAssembler();
        Assert.Equal(NmeaParseStatus.Ok, NmeaParser.TryParse("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47", out NmeaSentence gga));
        Assert.Equal(NmeaParseStatus.Ok, NmeaParser.TryParse("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A", out NmeaSentence rmc));
        Assert.Null(assembler.Add(gga));
        GpsFix fix = assembler.Add(rmc)!;
        Assert.Equal(GpsFixMode.ThreeD, fix.Mode);
        Assert.Equal(48.1173, fix.Latitude!.Value, 9);
        Assert.Equal(545.4, fix.AltitudeMeters);

        // 22.4 knots x 1852 m / 3600 s = 11.5236 m/s = 25.78 mph.
        Assert.Equal(22.4 * 1852 / 3600, fix.SpeedMetersPerSecond!.Value, 9);
        Assert.Equal(11.5236, fix.SpeedMetersPerSecond.Value, 3);
        Assert.Equal(25.777, fix.SpeedMilesPerHour!.Value, 3);
        Assert.Equal(84.4, fix.HeadingDegrees);
        Assert.Equal(0.9 * 5, fix.HorizontalAccuracyMeters!.Value, 9);
        Assert.Equal(new DateTimeOffset(1994, 3, 23, 12, 35, 19, TimeSpan.Zero), fix.Time);
        Assert.Null(assembler.Flush());
    }

    [Fact]
    public void Gga_alone_waits_for_the_next_epoch_and_no_fix_is_mode_none()
    {
        var assembler = new NmeaFixAssembler();
        NmeaParser.TryParse("$GPGGA,,,,,,0,00,99.99,,,,,,*48", out NmeaSentence noFix);
        Assert.Null(assembler.Add(noFix));
        NmeaParser.TryParse("$GNGGA,001043.00,4404.14036,N,12118.85961,W,1,12,0.98,1113.0,M,-21.3,M,,*47", out NmeaSentence gga);
        GpsFix previous = assembler.Add(gga)!;
        Assert.Equal(GpsFixMode.None, previous.Mode);
        Assert.False(previous.HasPosition);
        Assert.Null(previous.Latitude);

        GpsFix last = assembler.Flush()!;
        Assert.Equal(GpsFixMode.ThreeD, last.Mode);
        Assert.Equal(12, last.Satellites);
    }

    [Fact]
    public async Task The_drive_log_yields_three_no_fix_epochs_then_sixty_fixes()
    {
        NmeaSource source = NmeaSource.FromFile(DrivePath);
        List<GpsFix> fixes = [];
        await foreach (GpsFix fix in source.ReadFixesAsync())
        {
            fixes.Add(fix);
        }

        Assert.Equal(63, fixes.Count);
        Assert.All(fixes.Take(3), f => Assert.Equal(GpsFixMode.None, f.Mode));
        Assert.All(fixes.Skip(3), f => Assert.Equal(GpsFixMode.ThreeD, f.Mode));
        Assert.Equal(new DateTimeOffset(2026, 1, 19, 17, 1, 2, TimeSpan.Zero), fixes[^1].Time);
        Assert.Equal(20.0, fixes[^1].SpeedMetersPerSecond!.Value, 2);
        Assert.InRange(fixes[^1].Longitude!.Value, -123.84, -123.82);
    }

    [Fact]
    public async Task A_stream_with_noise_bad_checksums_and_split_lines_still_yields_the_good_epochs()
    {
        string text = "garbage\n$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*48\r\n" + // bad checksum
            "$GPGGA,123520,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*" + Checksum("GPGGA,123520,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,") + "\r\n" +
            new string('x', 40_000) + "\n" +
            "$GPRMC,123520,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*" + Checksum("GPRMC,123520,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W");
        var source = new NmeaSource("test", _ => ValueTask.FromResult<Stream>(new MemoryStream(Encoding.ASCII.GetBytes(text))));
        List<GpsFix> fixes = [];
        await foreach (GpsFix fix in source.ReadFixesAsync())
        {
            fixes.Add(fix);
        }

        GpsFix only = Assert.Single(fixes);
        Assert.Equal(new DateTimeOffset(1994, 3, 23, 12, 35, 20, TimeSpan.Zero), only.Time);
    }

    [Fact]
    public async Task Cancellation_stops_a_looping_paced_replay()
    {
        NmeaSource source = NmeaSource.FromFile(DrivePath, TimeSpan.FromMilliseconds(20), loop: true);
        using var cts = new CancellationTokenSource();
        int count = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Exception? e = await Record.ExceptionAsync(async () =>
        {
            await foreach (GpsFix fix in source.ReadFixesAsync(cts.Token))
            {
                if (++count == 5)
                {
                    await cts.CancelAsync();
                }
            }
        });
        Assert.True(e is OperationCanceledException, e?.ToString());
        Assert.Equal(5, count);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(4 * 20), $"paced: {clock.Elapsed}");
    }

    private static string Checksum(string body) => NmeaParserTests.WithChecksum("$" + body)[^2..];
}
