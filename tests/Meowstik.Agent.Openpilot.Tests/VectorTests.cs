using System.Text;
using System.Text.Json;

namespace Meowstik.Agent.Openpilot.Tests;

/// <summary>Every real vector (two openpilot schema versions) decodes to what expected.json says.</summary>
public sealed class VectorTests
{
    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Capnp.VectorsDirectory, "expected.json"))).RootElement;

    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (JsonProperty p in Expected.EnumerateObject())
        {
            names.Add(p.Name);
        }

        return names;
    }

    [Fact]
    public void Expected_json_lists_every_vector_of_both_schema_versions()
    {
        string[] bins = [.. Directory.GetFiles(Capnp.VectorsDirectory, "20*.bin").Select(Path.GetFileNameWithoutExtension).Order()!];
        Assert.Equal(bins, Expected.EnumerateObject().Select(p => p.Name).Order());
        Assert.Contains(bins, b => b.StartsWith("2025-09_", StringComparison.Ordinal));
        Assert.Contains(bins, b => b.StartsWith("2026-06_", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Vector_decodes_to_expected(string name)
    {
        JsonElement expected = Expected.GetProperty(name);
        byte[] bytes = Capnp.Vector(name);
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(bytes, out OpenpilotEvent e));
        int checkedFields = 0;
        foreach (JsonProperty field in expected.EnumerateObject())
        {
            JsonElement v = field.Value;
            switch (field.Name)
            {
                case "schema" or "service":
                    continue;
                case "union_tag":
                    Assert.Equal(v.GetInt32(), e.UnionTag);
                    Assert.NotEqual(OpenpilotEventKind.Unknown, e.Kind);
                    break;
                case "logMonoTime":
                    Assert.Equal(v.GetUInt64(), e.LogMonoTime);
                    break;
                case "valid":
                    Assert.Equal(v.GetBoolean(), e.Valid);
                    break;
                default:
                    AssertMember(e, field.Name, v);
                    break;
            }

            checkedFields++;
        }

        Assert.True(checkedFields >= 4, $"{name}: only {checkedFields} fields checked");
    }

    private static void AssertMember(OpenpilotEvent e, string field, JsonElement v)
    {
        switch (e.Kind)
        {
            case OpenpilotEventKind.CarState:
                Assert.Equal(CapnpError.None, e.TryReadCarState(out CarStateReading car));
                switch (field)
                {
                    case "vEgo": Near(v.GetDouble(), car.VEgo); break;
                    case "cruiseState.enabled": Assert.Equal(v.GetBoolean(), car.CruiseEnabled); break;
                    case "cruiseState.available": Assert.Equal(v.GetBoolean(), car.CruiseAvailable); break;
                    case "cruiseState.speed": Near(v.GetDouble(), car.CruiseSpeed); break;
                    case "speed_mph": Assert.Equal(v.GetDouble(), Math.Round(car.VEgo / OpenpilotState.MetersPerSecondPerMph, 2)); break;
                    default: Assert.Fail($"carState field {field} is not checked"); break;
                }

                break;
            case OpenpilotEventKind.GpsLocation or OpenpilotEventKind.GpsLocationExternal:
                Assert.Equal(CapnpError.None, e.TryReadGpsLocation(out GpsLocationReading gps));
                switch (field)
                {
                    case "latitude": Assert.Equal(v.GetDouble(), gps.Latitude); break;
                    case "longitude": Assert.Equal(v.GetDouble(), gps.Longitude); break;
                    case "speed": Near(v.GetDouble(), gps.Speed); break;
                    case "bearingDeg": Near(v.GetDouble(), gps.BearingDeg); break;
                    case "horizontalAccuracy": Near(v.GetDouble(), gps.HorizontalAccuracy); break;
                    case "unixTimestampMillis": Assert.Equal(v.GetInt64(), gps.UnixTimestampMillis); break;
                    case "hasFix": Assert.Equal(v.GetBoolean(), gps.HasFix); break;
                    default: Assert.Fail($"gps field {field} is not checked"); break;
                }

                break;
            case OpenpilotEventKind.SelfdriveState:
                Assert.Equal(CapnpError.None, e.TryReadSelfdrive(out OpenpilotControlState state, out bool enabled, out bool active, out ReadOnlySpan<byte> t1, out ReadOnlySpan<byte> t2));
                switch (field)
                {
                    case "state": Assert.Equal(v.GetString(), OpenpilotEvent.StateName(state)); break;
                    case "enabled": Assert.Equal(v.GetBoolean(), enabled); break;
                    case "active": Assert.Equal(v.GetBoolean(), active); break;
                    case "alertText1": Assert.Equal(v.GetString(), Encoding.UTF8.GetString(t1)); break;
                    case "alertText2": Assert.Equal(v.GetString(), Encoding.UTF8.GetString(t2)); break;
                    default: Assert.Fail($"selfdriveState field {field} is not checked"); break;
                }

                break;
            case OpenpilotEventKind.DriverMonitoringState or OpenpilotEventKind.DriverMonitoringStateLegacy:
                Assert.Equal(CapnpError.None, e.TryReadDriverMonitoring(out DriverMonitoringReading dm));
                Assert.Equal(e.Kind == OpenpilotEventKind.DriverMonitoringStateLegacy, dm.Legacy);
                switch (field)
                {
                    case "faceDetected" or "visionPolicyState.faceDetected": Assert.Equal(v.GetBoolean(), dm.FaceDetected); break;
                    case "isDistracted" or "visionPolicyState.isDistracted": Assert.Equal(v.GetBoolean(), dm.IsDistracted); break;
                    case "awarenessStatus": Near(v.GetDouble(), dm.AwarenessStatus); break;
                    case "visionPolicyState.awarenessPercent": Assert.Equal(v.GetInt32(), (int)Math.Round(dm.AwarenessStatus * 100)); break;
                    case "alertLevel": Assert.Equal(v.GetString(), OpenpilotEvent.AlertLevelName(dm.AlertLevel)); break;
                    case "alwaysOnLockout": Assert.Equal(v.GetBoolean(), dm.AlwaysOnLockout); break;
                    case "driver_attention": Assert.Equal(v.GetString(), dm.Attention); break;
                    default: Assert.Fail($"driverMonitoringState field {field} is not checked"); break;
                }

                break;
            default:
                Assert.Fail($"tag {e.UnionTag} has no reader");
                break;
        }
    }

    private static void Near(double expected, float actual) => Assert.Equal(expected, actual, Math.Max(1e-5, Math.Abs(expected) * 1e-6));

    [Fact]
    public void A_reader_for_another_member_says_so_instead_of_reading_garbage()
    {
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(Capnp.Vector("2026-06_carState"), out OpenpilotEvent e));
        Assert.Equal(CapnpError.UnexpectedPointer, e.TryReadGpsLocation(out _));
        Assert.Equal(CapnpError.UnexpectedPointer, e.TryReadDriverMonitoring(out _));
        Assert.Equal(CapnpError.UnexpectedPointer, e.TryReadSelfdrive(out _, out _, out _, out _, out _));
    }

    [Fact]
    public void ControlsState_of_older_builds_is_read_at_the_positions_capnp_compile_reports()
    {
        // controlsState_struct.bin: `capnp encode controlsState_layout.capnp ControlsState` (openpilot's ControlsState with
        // foreign types replaced by same-size stand-ins), wrapped here in an Event with tag 6.
        byte[] message = Capnp.WrapEvent(6, 42, File.ReadAllBytes(Path.Combine(Capnp.VectorsDirectory, "controlsState_struct.bin")));
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(message, out OpenpilotEvent e));
        Assert.Equal(OpenpilotEventKind.ControlsState, e.Kind);
        Assert.Equal(42UL, e.LogMonoTime);
        Assert.Equal(CapnpError.None, e.TryReadSelfdrive(out OpenpilotControlState state, out bool enabled, out bool active, out ReadOnlySpan<byte> t1, out ReadOnlySpan<byte> t2));
        Assert.Equal(OpenpilotControlState.SoftDisabling, state);
        Assert.True(enabled);
        Assert.True(active);
        Assert.Equal("Hello", Encoding.UTF8.GetString(t1));
        Assert.Equal("World", Encoding.UTF8.GetString(t2));
    }

    [Fact]
    public void An_unknown_tag_reads_as_unknown_and_the_store_keeps_nothing()
    {
        byte[] message = Capnp.Frame([Capnp.StructPointer(0, 2, 1), 7, Capnp.TagWord(999), 0]);
        Assert.Equal(CapnpError.None, OpenpilotEvent.TryRead(message, out OpenpilotEvent e));
        Assert.Equal(OpenpilotEventKind.Unknown, e.Kind);
        Assert.Equal(CapnpError.UnexpectedPointer, e.TryReadCarState(out _));
        var store = new OpenpilotStateStore(TimeSpan.FromSeconds(2));
        Assert.Equal(CapnpError.None, store.Apply(message, DateTimeOffset.UnixEpoch, out OpenpilotEventKind kind));
        Assert.Equal(OpenpilotEventKind.Unknown, kind);
        Assert.False(store.Snapshot(DateTimeOffset.UnixEpoch).IsAvailable);
    }

    [Fact]
    public void Decoding_a_vector_allocates_nothing()
    {
        byte[] car = Capnp.Vector("2026-06_carState");
        byte[] selfdrive = Capnp.Vector("2026-06_selfdriveState_alert");
        byte[] dm = Capnp.Vector("2026-06_driverMonitoringState_distracted");
        byte[] gps = Capnp.Vector("2026-06_gpsLocationExternal");
        float sum = Decode(car, selfdrive, dm, gps); // warm up (JIT)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sum += Decode(car, selfdrive, dm, gps);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }

    private static float Decode(byte[] car, byte[] selfdrive, byte[] dm, byte[] gps)
    {
        float sum = 0;
        if (OpenpilotEvent.TryRead(car, out OpenpilotEvent e) == CapnpError.None && e.TryReadCarState(out CarStateReading c) == CapnpError.None)
        {
            sum += c.VEgo;
        }

        if (OpenpilotEvent.TryRead(selfdrive, out e) == CapnpError.None && e.TryReadSelfdrive(out _, out _, out _, out ReadOnlySpan<byte> t1, out _) == CapnpError.None)
        {
            sum += t1.Length;
        }

        if (OpenpilotEvent.TryRead(dm, out e) == CapnpError.None && e.TryReadDriverMonitoring(out DriverMonitoringReading d) == CapnpError.None)
        {
            sum += d.AwarenessStatus;
        }

        if (OpenpilotEvent.TryRead(gps, out e) == CapnpError.None && e.TryReadGpsLocation(out GpsLocationReading g) == CapnpError.None)
        {
            sum += (float)g.Latitude;
        }

        return sum;
    }
}
