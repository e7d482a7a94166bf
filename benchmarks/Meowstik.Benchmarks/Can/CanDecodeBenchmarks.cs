using BenchmarkDotNet.Attributes;
using Meowstik.Agent.Can;
using Meowstik.Agent.Can.Dbc;

namespace Meowstik.Benchmarks.Can;

/// <summary>
/// CAN receive→decode: 1,000 frames of a realistic mix (Intel and Motorola, signed, a multiplexed extended-id message, an
/// id not in the DBC) decoded into a reused <see cref="DecodedSignal"/> buffer. One op = one frame.
/// <c>ParseAndDecode</c> also parses each frame from its candump -L line first (the replay path).
/// </summary>
[MemoryDiagnoser]
public class CanDecodeBenchmarks
{
    private const int Frames = 1000;

    private const string Dbc = """
        BO_ 256 EngineData: 8 ECM
         SG_ EngineSpeed : 0|16@1+ (0.25,0) [0|16383.75] "rpm" Dashboard
         SG_ CoolantTemp : 16|8@1+ (1,-40) [-40|215] "degC" Dashboard
         SG_ ThrottlePos : 24|8@1+ (0.392157,0) [0|100] "%" TCM
         SG_ EngineTorque : 32|12@1- (0.5,0) [-1024|1023.5] "Nm" TCM
        BO_ 512 VehicleSpeed: 8 ABS
         SG_ WheelSpeedFL : 7|16@0+ (0.01,0) [0|655.35] "km/h" Dashboard
         SG_ WheelSpeedFR : 23|16@0+ (0.01,0) [0|655.35] "km/h" Dashboard
         SG_ YawRate : 39|12@0- (0.1,0) [-204.8|204.7] "deg/s" Dashboard
         SG_ Gear : 59|3@0+ (1,0) [0|7] "" Dashboard
        BO_ 2365476576 Diagnostics: 8 BCM
         SG_ Mux M : 0|8@1+ (1,0) [0|255] "" Dashboard
         SG_ BatteryVoltage m1 : 8|16@1+ (0.001,0) [0|65.535] "V" Dashboard
         SG_ BatteryCurrent m1 : 24|16@1- (0.01,0) [-327.68|327.67] "A" Dashboard
         SG_ OdometerKm m2 : 8|32@1+ (0.1,0) [0|429496729.5] "km" Dashboard
        """;

    private static readonly string[] Mix =
    [
        "(1436509052.249713) can0 100#E02E5A80380F0000",
        "(1436509052.259713) can0 200#0FA00FA2FF9C0006",
        "(1436509052.269713) can0 0CFE4EE0#01B0360DF6000000",
        "(1436509052.279713) can0 100#E02E5A80380F0000",
        "(1436509052.289713) can0 0CFE4EE0#02E8030000000000",
        "(1436509052.299713) can0 200#0FA00FA2FF9C0006",
        "(1436509052.309713) can0 123#DEADBEEF",
        "(1436509052.319713) can0 100#E02E5A80380F0000",
    ];

    private readonly DbcFile _dbc = DbcFile.Parse(Dbc);
    private readonly DecodedSignal[] _signals = new DecodedSignal[16];
    private readonly CanFrame[] _frames = new CanFrame[Frames];
    private readonly string[] _lines = new string[Frames];

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Frames; i++)
        {
            _lines[i] = Mix[i % Mix.Length];
            CandumpFormat.TryParseLine(_lines[i], out _frames[i], out _);
        }
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public double Decode()
    {
        double sum = 0;
        foreach (ref readonly CanFrame frame in _frames.AsSpan())
        {
            int n = _dbc.Decode(frame, _signals, out _);
            for (int s = 0; s < n; s++)
            {
                sum += _signals[s].Value;
            }
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Frames)]
    public double ParseAndDecode()
    {
        double sum = 0;
        foreach (string line in _lines)
        {
            CandumpFormat.TryParseLine(line, out CanFrame frame, out _);
            int n = _dbc.Decode(frame, _signals, out _);
            for (int s = 0; s < n; s++)
            {
                sum += _signals[s].Value;
            }
        }

        return sum;
    }
}
