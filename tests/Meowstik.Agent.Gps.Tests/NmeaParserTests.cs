namespace Meowstik.Agent.Gps.Tests;

/// <summary>NMEA 0183 parsing on real-world sentences (NMEA reference examples, u-blox receivers).</summary>
public sealed class NmeaParserTests
{
    private static NmeaSentence Parse(string line)
    {
        Assert.Equal(NmeaParseStatus.Ok, NmeaParser.TryParse(line, out NmeaSentence s));
        return s;
    }

    [Fact]
    public void Gga_from_the_NMEA_reference_with_hemisphere_math_written_out()
    {
        NmeaSentence s = Parse("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47");
        Assert.Equal(NmeaSentenceType.Gga, s.Type);
        Assert.Equal(NmeaTalker.GP, s.Talker);
        Assert.Equal(new TimeOnly(12, 35, 19), s.Time);

        // 4807.038,N: 48 degrees + 07.038 minutes = 48 + 7.038 / 60 = 48.1173; N is positive.
        Assert.Equal(48 + 7.038 / 60, s.Latitude!.Value, 9);
        Assert.Equal(48.1173, s.Latitude.Value, 9);

        // 01131.000,E: 011 degrees + 31.000 minutes = 11 + 31 / 60 = 11.516667; E is positive.
        Assert.Equal(11 + 31.0 / 60, s.Longitude!.Value, 9);
        Assert.Equal(1, s.Quality);
        Assert.Equal(8, s.Satellites);
        Assert.Equal(0.9, s.Hdop);
        Assert.Equal(545.4, s.AltitudeMeters);
    }

    [Fact]
    public void Rmc_south_and_east_from_a_real_receiver()
    {
        // Melbourne: 3751.65,S = -(37 + 51.65 / 60) = -37.860833; 14507.36,E = 145 + 7.36 / 60 = 145.122667.
        NmeaSentence s = Parse("$GPRMC,081836,A,3751.65,S,14507.36,E,000.0,360.0,130998,011.3,E*62");
        Assert.Equal(NmeaSentenceType.Rmc, s.Type);
        Assert.Equal(-(37 + 51.65 / 60), s.Latitude!.Value, 9);
        Assert.Equal(145 + 7.36 / 60, s.Longitude!.Value, 9);
        Assert.True(s.Valid);
        Assert.Equal(new DateOnly(1998, 9, 13), s.Date);
        Assert.Equal(0.0, s.SpeedKnots);
        Assert.Equal(360.0, s.CourseDegrees);
    }

    [Fact]
    public void Rmc_north_and_west_with_GN_talker_and_empty_course()
    {
        // u-blox M8: 4404.13993,N = 44 + 4.13993 / 60 = 44.068999; 12118.86023,W = -(121 + 18.86023 / 60) = -121.314337.
        NmeaSentence s = Parse("$GNRMC,001031.00,A,4404.13993,N,12118.86023,W,0.146,,100117,,,A*7B");
        Assert.Equal(NmeaTalker.GN, s.Talker);
        Assert.Equal(44 + 4.13993 / 60, s.Latitude!.Value, 9);
        Assert.Equal(-(121 + 18.86023 / 60), s.Longitude!.Value, 9);
        Assert.Equal(0.146, s.SpeedKnots);
        Assert.Null(s.CourseDegrees);
        Assert.Equal(new DateOnly(2017, 1, 10), s.Date);
        Assert.Equal(new TimeOnly(0, 10, 31), s.Time);
    }

    [Fact]
    public void Gga_with_GN_talker_negative_geoid_and_fractional_seconds()
    {
        NmeaSentence s = Parse("$GNGGA,001043.00,4404.14036,N,12118.85961,W,1,12,0.98,1113.0,M,-21.3,M,,*47");
        Assert.Equal(NmeaTalker.GN, s.Talker);
        Assert.Equal(12, s.Satellites);
        Assert.Equal(1113.0, s.AltitudeMeters);
        Assert.Equal(-(121 + 18.85961 / 60), s.Longitude!.Value, 9);
    }

    [Fact]
    public void Rmc_with_GL_talker()
    {
        NmeaSentence s = Parse("$GLRMC,225446.00,A,4916.45,N,12311.12,W,000.5,054.7,191194,020.3,E,A*37");
        Assert.Equal(NmeaTalker.GL, s.Talker);
        Assert.Equal(49 + 16.45 / 60, s.Latitude!.Value, 9);
        Assert.Equal(-(123 + 11.12 / 60), s.Longitude!.Value, 9);
        Assert.Equal(new DateOnly(1994, 11, 19), s.Date);
    }

    [Fact]
    public void Vtg_old_and_new_forms_and_empty_course()
    {
        NmeaSentence old = Parse("$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*48");
        Assert.Equal(NmeaSentenceType.Vtg, old.Type);
        Assert.Equal(54.7, old.CourseDegrees);
        Assert.Equal(5.5, old.SpeedKnots);

        NmeaSentence ublox = Parse("$GNVTG,,T,,M,0.021,N,0.040,K,A*3A");
        Assert.Null(ublox.CourseDegrees);
        Assert.Equal(0.021, ublox.SpeedKnots);
    }

    [Fact]
    public void No_fix_sentences_parse_with_empty_fields()
    {
        NmeaSentence gga = Parse("$GPGGA,,,,,,0,00,99.99,,,,,,*48");
        Assert.Equal(0, gga.Quality);
        Assert.Null(gga.Time);
        Assert.Null(gga.Latitude);
        Assert.Null(gga.Longitude);
        Assert.Null(gga.AltitudeMeters);
        Assert.Equal(99.99, gga.Hdop);

        NmeaSentence rmc = Parse("$GPRMC,,V,,,,,,,,,,N*53");
        Assert.False(rmc.Valid);
        Assert.Null(rmc.Latitude);
        Assert.Null(rmc.Date);
    }

    [Theory]
    [InlineData("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*48", NmeaParseStatus.BadChecksum)]
    [InlineData("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47\r\n", NmeaParseStatus.Ok)]
    [InlineData("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47", NmeaParseStatus.Ok)]
    [InlineData("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,", NmeaParseStatus.MissingChecksum)]
    [InlineData("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*4", NmeaParseStatus.Malformed)]
    [InlineData("$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*ZZ", NmeaParseStatus.Malformed)]
    [InlineData("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6a", NmeaParseStatus.Ok)]
    [InlineData("$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74", NmeaParseStatus.Unsupported)]
    [InlineData("GPGGA,123519*47", NmeaParseStatus.Malformed)]
    [InlineData("", NmeaParseStatus.Malformed)]
    [InlineData("$GP\u00e9GA,1*00", NmeaParseStatus.Malformed)]
    public void Checksums_and_framing(string line, NmeaParseStatus expected) =>
        Assert.Equal(expected, NmeaParser.TryParse(line, out _));

    [Fact]
    public void A_corrupted_character_fails_the_checksum()
    {
        // One bit flipped in the latitude (4807 -> 4806) as a noisy serial line would.
        Assert.Equal(NmeaParseStatus.BadChecksum, NmeaParser.TryParse("$GPGGA,123519,4806.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47", out _));
    }

    [Theory]
    [InlineData("$GPGGA,123519,4807.038,X,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")] // hemisphere X
    [InlineData("$GPGGA,123519,9107.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")] // 91 degrees
    [InlineData("$GPGGA,126119,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,")] // minute 61
    [InlineData("$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,320394,003.1,W")] // 32 March
    public void Bad_fields_with_a_good_checksum_are_malformed(string body)
    {
        string line = WithChecksum(body);
        Assert.Equal(NmeaParseStatus.Malformed, NmeaParser.TryParse(line, out _));
    }

    [Fact]
    public void Parsing_bytes_allocates_nothing()
    {
        byte[] line = "$GNGGA,001043.00,4404.14036,N,12118.85961,W,1,12,0.98,1113.0,M,-21.3,M,,*47"u8.ToArray();
        NmeaParser.TryParse(line, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            NmeaParser.TryParse(line, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    internal static string WithChecksum(string body)
    {
        byte sum = 0;
        foreach (char c in body.AsSpan(1))
        {
            sum ^= (byte)c;
        }

        return $"{body}*{sum:X2}";
    }
}
