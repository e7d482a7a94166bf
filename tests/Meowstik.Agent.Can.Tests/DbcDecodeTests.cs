using Meowstik.Agent.Can.Dbc;

namespace Meowstik.Agent.Can.Tests;

public sealed class DbcDecodeTests
{
    internal static readonly string DataDir = Path.Combine(AppContext.BaseDirectory, "Data");
    private static readonly DbcFile Vehicle = DbcFile.Load(Path.Combine(DataDir, "vehicle.dbc"));

    private static CanFrame Frame(string compact)
    {
        Assert.True(CandumpFormat.TryParseFrame(compact, 0, out CanFrame frame), compact);
        return frame;
    }

    private static Dictionary<string, double> Decode(string compact)
    {
        Span<DecodedSignal> buffer = new DecodedSignal[16];
        int n = Vehicle.Decode(Frame(compact), buffer, out DbcMessage? message);
        Assert.NotNull(message);
        var result = new Dictionary<string, double>();
        foreach (DecodedSignal s in buffer[..n])
        {
            result[s.Signal.Name] = s.Value;
        }

        return result;
    }

    [Fact]
    public void The_file_parses_messages_signals_value_tables_and_skips_comments_and_attributes()
    {
        Assert.Equal(["EngineData", "VehicleSpeed", "Diagnostics"], Vehicle.Messages.Select(m => m.Name));
        Assert.Equal(["ECM", "TCM", "BCM", "Dashboard"], Vehicle.Nodes);

        DbcMessage engine = Vehicle.FindMessage("EngineData")!;
        Assert.Equal((256u, false, 8, "ECM"), (engine.Id, engine.IsExtended, engine.Length, engine.Transmitter));
        DbcSignal torque = engine.FindSignal("EngineTorque")!;
        Assert.Equal((32, 12, DbcByteOrder.Intel, true, 0.5, 0.0), (torque.StartBit, torque.Length, torque.ByteOrder, torque.IsSigned, torque.Factor, torque.Offset));
        Assert.Equal((-1024.0, 1023.5, "Nm"), (torque.Minimum, torque.Maximum, torque.Unit));
        Assert.Equal(["Dashboard", "TCM"], engine.FindSignal("EngineSpeed")!.Receivers);

        DbcSignal yaw = Vehicle.FindMessage("VehicleSpeed")!.FindSignal("YawRate")!;
        Assert.Equal((39, 12, DbcByteOrder.Motorola, true), (yaw.StartBit, yaw.Length, yaw.ByteOrder, yaw.IsSigned));
        Assert.Equal("Drive", Vehicle.FindMessage("VehicleSpeed")!.FindSignal("Gear")!.ValueDescriptions[3]);

        // 2365476576 = 0x8CFE4EE0: bit 31 marks an extended id, 0x0CFE4EE0.
        DbcMessage diag = Vehicle.FindMessage("Diagnostics")!;
        Assert.Equal((0x0CFE4EE0u, true), (diag.Id, diag.IsExtended));
        Assert.Equal("Mux", diag.Multiplexor!.Name);
        Assert.Equal((DbcMultiplexRole.Multiplexed, 2L), (diag.FindSignal("OdometerKm")!.MultiplexRole, diag.FindSignal("OdometerKm")!.MultiplexValue));
        Assert.Equal("all_open", diag.FindSignal("DoorState")!.ValueDescriptions[3]);

        // A standard id never matches an extended one of the same number, and back.
        Assert.False(Vehicle.TryGetMessage(0x100, isExtended: true, out _));
        Assert.False(Vehicle.TryGetMessage(0x0CFE4EE0, isExtended: false, out _));
    }

    [Fact]
    public void Intel_signals_match_the_dbc_arithmetic_worked_by_hand()
    {
        // 100#E02E5A80380F0000: bytes E0 2E 5A 80 38 0F 00 00
        Dictionary<string, double> v = Decode("100#E02E5A80380F0000");

        // EngineSpeed 0|16@1+ (0.25,0): bytes 0-1 little-endian = 0x2EE0 = 12000; 12000 × 0.25 = 3000 rpm
        Assert.Equal(3000, v["EngineSpeed"]);

        // CoolantTemp 16|8@1+ (1,-40): byte 2 = 0x5A = 90; 90 × 1 − 40 = 50 °C
        Assert.Equal(50, v["CoolantTemp"]);

        // ThrottlePos 24|8@1+ (0.392157,0): byte 3 = 0x80 = 128; 128 × 0.392157 = 50.196096 %
        Assert.Equal(50.196096, v["ThrottlePos"], 9);

        // EngineTorque 32|12@1- (0.5,0): bits 32-43 = byte 4 (0x38) + low nibble of byte 5 (0xF) = 0xF38 = 3896;
        // signed 12-bit: 3896 − 4096 = −200; −200 × 0.5 = −100 Nm
        Assert.Equal(-100, v["EngineTorque"]);
    }

    [Fact]
    public void Motorola_signals_match_the_dbc_arithmetic_worked_by_hand()
    {
        // 200#0FA00FA2FF9C0006: bytes 0F A0 0F A2 FF 9C 00 06
        Dictionary<string, double> v = Decode("200#0FA00FA2FF9C0006");

        // WheelSpeedFL 7|16@0+ (0.01,0): MSB = bit 7 of byte 0, 16 bits big-endian = bytes 0-1 = 0x0FA0 = 4000; × 0.01 = 40 km/h
        Assert.Equal(40.00, v["WheelSpeedFL"], 9);

        // WheelSpeedFR 23|16@0+: bit 23 = bit 7 of byte 2: bytes 2-3 = 0x0FA2 = 4002; × 0.01 = 40.02 km/h
        Assert.Equal(40.02, v["WheelSpeedFR"], 9);

        // YawRate 39|12@0- (0.1,0): bit 39 = bit 7 of byte 4: byte 4 (0xFF) then the high nibble of byte 5 (0x9) = 0xFF9 = 4089;
        // signed 12-bit: 4089 − 4096 = −7; −7 × 0.1 = −0.7 deg/s
        Assert.Equal(-0.7, v["YawRate"], 9);

        // Gear 59|3@0+: bit 59 = bit 3 of byte 7; bits 3,2,1 of 0x06 (0000 0110) = 011 = 3 = "Drive"
        Assert.Equal(3, v["Gear"]);
    }

    [Fact]
    public void A_multiplexed_message_decodes_only_the_signals_its_multiplexor_selects()
    {
        // 0CFE4EE0#01B0360DF6000000: Mux = byte 0 = 1 → BatteryVoltage, BatteryCurrent
        Dictionary<string, double> one = Decode("0CFE4EE0#01B0360DF6000000");
        Assert.Equal(["Mux", "BatteryVoltage", "BatteryCurrent"], one.Keys);
        // BatteryVoltage 8|16@1+ (0.001,0): bytes 1-2 LE = 0x36B0 = 14000; × 0.001 = 14 V
        Assert.Equal(14.0, one["BatteryVoltage"], 9);
        // BatteryCurrent 24|16@1- (0.01,0): bytes 3-4 LE = 0xF60D = 62989; − 65536 = −2547; × 0.01 = −25.47 A
        Assert.Equal(-25.47, one["BatteryCurrent"], 9);

        // Mux = 2 → OdometerKm 8|32@1+ (0.1,0): bytes 1-4 LE = 0x000003E8 = 1000; × 0.1 = 100 km
        Dictionary<string, double> two = Decode("0CFE4EE0#02E8030000000000");
        Assert.Equal(["Mux", "OdometerKm"], two.Keys);
        Assert.Equal(100.0, two["OdometerKm"], 9);

        // Mux = 9 selects nothing: only the multiplexor.
        Assert.Equal(["Mux"], Decode("0CFE4EE0#0900000000000000").Keys);
    }

    [Fact]
    public void Encoding_physical_values_gives_the_frame_the_hand_cross_check_decoded()
    {
        DbcMessage speed = Vehicle.FindMessage("VehicleSpeed")!;
        Assert.True(speed.TryEncode(new Dictionary<string, double> { ["WheelSpeedFL"] = 40, ["WheelSpeedFR"] = 40.02, ["YawRate"] = -0.7, ["Gear"] = 3 }, out CanFrame frame, out string? error), error);
        Assert.Equal("200#0FA00FA2FF900006", frame.ToString());   // byte 5's low nibble belongs to no signal: 0 here

        DbcMessage diag = Vehicle.FindMessage("Diagnostics")!;
        Assert.True(diag.TryEncode(new Dictionary<string, double> { ["Mux"] = 2, ["OdometerKm"] = 100 }, out frame, out error), error);
        Assert.Equal("0CFE4EE0#02E8030000000000", frame.ToString());

        Assert.False(diag.TryEncode(new Dictionary<string, double> { ["Mux"] = 1, ["OdometerKm"] = 100 }, out _, out error));
        Assert.Contains("multiplexor 'Mux' is 2", error);
        Assert.False(speed.TryEncode(new Dictionary<string, double> { ["Gear"] = 8 }, out _, out error));
        Assert.Contains("does not fit", error);
        Assert.False(speed.TryEncode(new Dictionary<string, double> { ["Nope"] = 1 }, out _, out error));
        Assert.Contains("no signal 'Nope'", error);
    }

    [Fact]
    public void Remote_error_and_unknown_frames_decode_to_nothing()
    {
        Span<DecodedSignal> buffer = new DecodedSignal[8];
        Assert.Equal(0, Vehicle.Decode(Frame("100#R"), buffer, out DbcMessage? m));
        Assert.Null(m);
        Assert.Equal(0, Vehicle.Decode(Frame("20000100#0000000000000000"), buffer, out m));
        Assert.Null(m);
        Assert.Equal(0, Vehicle.Decode(Frame("7FF#00"), buffer, out m));
        Assert.Null(m);
    }

    [Fact]
    public void A_short_destination_gets_as_many_signals_as_fit()
    {
        Span<DecodedSignal> two = new DecodedSignal[2];
        Assert.Equal(2, Vehicle.Decode(Frame("100#E02E5A80380F0000"), two, out _));
        Assert.Equal("CoolantTemp", two[1].Signal.Name);
    }

    [Theory]
    [InlineData("BO_ 1 M: 8 X\n SG_ S : 60|8@1+ (1,0) [0|0] \"\" X\n", "runs past byte 8")]
    [InlineData("BO_ 1 M: 8 X\n SG_ S : 60|8@0+ (1,0) [0|0] \"\" X\n", "runs past byte 8")]
    [InlineData("BO_ 1 M: 8 X\n SG_ S : 0|8@2+ (1,0) [0|0] \"\" X\n", "malformed SG_")]
    [InlineData("BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (0,0) [0|0] \"\" X\n", "factor")]
    [InlineData("BO_ one M: 8 X\n", "malformed BO_")]
    [InlineData(" SG_ S : 0|8@1+ (1,0) [0|0] \"\" X\n", "SG_ before any BO_")]
    public void Malformed_lines_fail_with_their_line_number(string text, string reason)
    {
        DbcParseException e = Assert.Throws<DbcParseException>(() => DbcFile.Parse("VERSION \"\"\n\n" + text));
        Assert.Contains(reason, e.Message);
        Assert.True(e.Line >= 3, e.Message);
    }

    [Fact]
    public void Cantools_style_files_with_odd_spacing_attributes_and_a_comment_missing_its_semicolon_parse()
    {
        const string text = """
            VERSION "HIPBNYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY/4/%%%/4/'%**4YYY///"

            NS_ :
            	CM_
            	BA_DEF_

            BS_:
            BU_: FOO BAR
            CM_ "no terminating semicolon here"
            BO_ 496 ExampleMessage: 8 FOO
             SG_ Enable : 7|1@0+ (1,0) [0|0] "-" BAR
             SG_ AverageRadius : 6|6@0+ (0.1,0) [0|5] "m" BAR
             SG_ Temperature : 0|12@0- (0.01,250) [229.52|270.47] "degK" BAR

            BA_DEF_ BO_  "GenMsgCycleTime" INT 0 65535;
            BA_ "GenMsgCycleTime" BO_ 496 200;
            VAL_ 496 Enable 0 "Disabled" 1 "Enabled" ;
            SIG_VALTYPE_ 496 Temperature : 0;
            """;
        DbcFile file = DbcFile.Parse(text);
        DbcMessage m = Assert.Single(file.Messages);
        Assert.Equal(["Enable", "AverageRadius", "Temperature"], m.Signals.Select(s => s.Name));
        Assert.Equal("Enabled", m.FindSignal("Enable")!.ValueDescriptions[1]);

        // cantools' motohawk example: Enable=1, AverageRadius=3.2, Temperature=250.55 encodes to c0 06 e0 00 00 00 00 00
        Assert.True(m.TryEncode(new Dictionary<string, double> { ["Enable"] = 1, ["AverageRadius"] = 3.2, ["Temperature"] = 250.55 }, out CanFrame f, out string? error), error);
        Assert.Equal("1F0#C006E00000000000", f.ToString());
        Span<DecodedSignal> decoded = new DecodedSignal[3];
        Assert.Equal(3, m.Decode(f, decoded));
        Assert.Equal(250.55, decoded[2].Value, 9);
    }
}

public sealed class ZeroAllocationTests
{
    [Fact]
    public void Receive_to_decode_allocates_nothing_per_frame()
    {
        DbcFile dbc = DbcFile.Load(Path.Combine(DbcDecodeTests.DataDir, "vehicle.dbc"));
        string[] lines = File.ReadAllLines(Path.Combine(DbcDecodeTests.DataDir, "drive.candump"));
        var signals = new DecodedSignal[16];                         // the caller's buffer, reused for every frame
        double sum = 0;

        void RunOnce()
        {
            foreach (string line in lines)
            {
                if (CandumpFormat.TryParseLine(line, out CanFrame frame, out _))
                {
                    int n = dbc.Decode(frame, signals, out _);
                    for (int i = 0; i < n; i++)
                    {
                        sum += signals[i].Value;
                    }
                }
            }
        }

        RunOnce();                                                   // warm up (JIT, statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            RunOnce();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sum);
    }
}
