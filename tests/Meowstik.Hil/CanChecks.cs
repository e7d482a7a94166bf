using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Iot.Device.SocketCan;
using Meowstik.Agent.Can;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hil;

/// <summary>
/// The CAN plugin on vcan0: its SocketCAN source (kernel filter from the options), DBC decode of frames another socket and
/// can-utils' cansend write, can.send through the allow-list, and replay of a log candump -L wrote.
/// </summary>
internal static class CanChecks
{
    private const string Interface = "vcan0";

    // 0x1A0 BodyStatus (Intel + a Motorola signed signal), extended 0x18FF50E5 BatteryStatus, 0x321 HilCommand (can.send).
    private const string Dbc = """
        VERSION ""

        NS_ :

        BS_:

        BU_: BCM ECU HIL

        BO_ 416 BodyStatus: 8 BCM
         SG_ VehicleSpeed : 0|16@1+ (0.01,0) [0|655.35] "km/h" HIL
         SG_ CabinTemp : 16|8@1+ (1,-40) [-40|215] "degC" HIL
         SG_ YawRate : 39|12@0- (0.1,0) [-204.8|204.7] "deg/s" HIL

        BO_ 2566869221 BatteryStatus: 8 BCM
         SG_ PackVoltage : 0|16@1+ (0.01,0) [0|655.35] "V" HIL
         SG_ PackCurrent : 16|16@1- (0.1,0) [-3276.8|3276.7] "A" HIL

        BO_ 801 HilCommand: 8 HIL
         SG_ Setpoint : 0|16@1+ (0.5,0) [0|32767.5] "" ECU
         SG_ Enable : 16|1@1+ (1,0) [0|1] "" ECU
        """;

    // VehicleSpeed 88.5 km/h (8850 = 0x2292), CabinTemp 21 degC (61 = 0x3D), YawRate -12.5 deg/s (-125 = 0xF83, Motorola: byte 4, high nibble of byte 5).
    private static readonly byte[] BodyFrame = [0x92, 0x22, 0x3D, 0x00, 0xF8, 0x30, 0x00, 0x00];

    // The same message with other values, for cansend: VehicleSpeed 12.34 (1234 = 0x04D2), CabinTemp -5 (35 = 0x23), YawRate 3.2 (32 = 0x020).
    private const string BodyCansend = "1A0#D204230002000000";

    // PackVoltage 402.5 V (40250 = 0x9D3A), PackCurrent -12.3 A (-123 = 0xFF85).
    private const string BatteryCansend = "18FF50E5#3A9D85FF00000000";

    public static async Task RunAll()
    {
        string dbcPath = Path.Combine(Path.GetTempPath(), "hil.dbc");
        File.WriteAllText(dbcPath, Dbc);
        string filter = Hil.Breaks("can-filter") ? "1A1" : "1A0";     // HIL_BREAK=can-filter: the wrong id for the kernel to pass

        ServiceProvider services = Plugin(o =>
        {
            o.Interface = Interface;
            o.DbcFile = dbcPath;
            o.KernelFilter = filter;
            o.SendAllowList.Add("321");
        });
        CanCapability can = services.GetRequiredService<CanCapability>();
        var mesh = new HilPublisher();
        using var stop = new CancellationTokenSource();
        Task running = Task.Run(() => can.RunAsync(mesh, stop.Token));
        using var ecu = new EcuSocket(Interface);
        try
        {
            await Hil.Check("can: the SocketCAN source with the KernelFilter option passes only 0x1A0 of the frames another socket writes, DBC-decoded (Intel + Motorola)", async () =>
            {
                JsonElement sub = Hil.Ok(await Hil.Call(can, mesh, "can.subscribe", """{"mode":"signals","max_rate_hz":100}"""), "can.subscribe");
                Hil.Expect(sub.GetProperty("codec").GetString() == "json", "subscription codec is not json");
                await Task.Delay(200);
                ecu.Write(0x123, false, [1, 2, 3]);                          // not in the kernel filter
                ecu.Write(0x18FF50E5, true, [0x3A, 0x9D, 0x85, 0xFF, 0, 0, 0, 0]); // not in the kernel filter (in the DBC)
                ecu.Write(0x1A0, false, BodyFrame);
                JsonElement body = await WaitForSignals(mesh, "BodyStatus", 0);
                Hil.Near(88.5, body.GetProperty("VehicleSpeed").GetDouble(), 1e-9, "VehicleSpeed");
                Hil.Near(21, body.GetProperty("CabinTemp").GetDouble(), 1e-9, "CabinTemp");
                Hil.Near(-12.5, body.GetProperty("YawRate").GetDouble(), 1e-9, "YawRate");
                await Task.Delay(300);
                JsonElement stats = Hil.Ok(await Hil.Call(can, mesh, "can.stats", null, CommandKind.Query), "can.stats");
                Hil.Expect(stats.GetProperty("interface").GetString() == Interface, "can.stats names another interface");
                Hil.Expect(stats.GetProperty("frames").GetInt64() == 1, $"the kernel filter let {stats.GetProperty("frames").GetInt64()} frames through, expected exactly the one 0x1A0 frame");
                Hil.Expect(mesh.Chunks.Count(c => c.Codec == "json" && Encoding.UTF8.GetString(c.Data).Contains("BatteryStatus", StringComparison.Ordinal)) == 0, "a filtered extended frame was decoded");
            });

            await Hil.Check("can: a frame sent by can-utils cansend is decoded by the plugin", async () =>
            {
                int before = mesh.Chunks.Count;
                (int exit, string output) = await Hil.Run("/usr/bin/cansend", $"{Interface} {BodyCansend}");
                Hil.Expect(exit == 0, $"cansend exited {exit}: {output}");
                JsonElement body = await WaitForSignals(mesh, "BodyStatus", before);
                Hil.Near(12.34, body.GetProperty("VehicleSpeed").GetDouble(), 1e-9, "VehicleSpeed");
                Hil.Near(-5, body.GetProperty("CabinTemp").GetDouble(), 1e-9, "CabinTemp");
                Hil.Near(3.2, body.GetProperty("YawRate").GetDouble(), 1e-9, "YawRate");
            });

            await Hil.Check("can: can.send puts allowed frames (hex data and DBC signals) on the bus, refuses ids off the allow-list", async () =>
            {
                ecu.Clear();
                JsonElement sent = Hil.Ok(await Hil.Call(can, mesh, "can.send", """{"id":"321","data":"DEADBEEF01"}"""), "can.send data");
                Hil.Log($"can.send answered frame {sent.GetProperty("frame").GetString()}");
                (uint id, bool ext, byte[] data) = ecu.Take(5) ?? throw new HilFailure("the other socket received nothing after can.send");
                Hil.Expect(id == 0x321 && !ext && Convert.ToHexString(data) == "DEADBEEF01", $"the bus carried {id:X} ext={ext} {Convert.ToHexString(data)}, expected 321#DEADBEEF01");

                Hil.Ok(await Hil.Call(can, mesh, "can.send", """{"id":"321","signals":{"Setpoint":12.5,"Enable":1}}"""), "can.send signals");
                (id, ext, data) = ecu.Take(5) ?? throw new HilFailure("the other socket received nothing after can.send with signals");
                Hil.Expect(id == 0x321 && Convert.ToHexString(data) == "1900010000000000", $"DBC-encoded frame on the bus is {id:X}#{Convert.ToHexString(data)}, expected 321#1900010000000000");

                Hil.Refused(await Hil.Call(can, mesh, "can.send", """{"id":"322","data":"01"}"""), CanErrorCodes.IdNotAllowed, "can.send to 322");
                Hil.Refused(await Hil.Call(can, mesh, "can.send", """{"id":"00000321","data":"01"}"""), CanErrorCodes.IdNotAllowed, "can.send to extended 00000321");
                Hil.Expect(ecu.Take(0.5) is null, "a refused can.send still reached the bus");
            });
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAny(running, Task.Delay(3000));
            await services.DisposeAsync();
        }

        await Hil.Check("can: a log written by can-utils candump -L is replayed by the plugin's CandumpReplaySource and decoded", async () =>
        {
            string log = Path.Combine(Path.GetTempPath(), "hil-candump.log");
            int listeners = RawReceivers();
            using var candump = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/usr/bin/candump", $"-L -n 3 {Interface}") { RedirectStandardOutput = true, UseShellExecute = false })
                ?? throw new HilFailure("candump did not start");
            Task<string> output = candump.StandardOutput.ReadToEndAsync();
            Hil.Expect(await Hil.WaitUntil(() => RawReceivers() > listeners, 10), "candump never bound its socket (/proc/net/can/rcvlist_all)");
            foreach (string frame in new[] { BodyCansend, BatteryCansend, "123#0102" })
            {
                (int exit, string text) = await Hil.Run("/usr/bin/cansend", $"{Interface} {frame}");
                Hil.Expect(exit == 0, $"cansend {frame} exited {exit}: {text}");
            }

            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                await candump.WaitForExitAsync(wait.Token);
            }

            string text2 = await output;
            File.WriteAllText(log, text2);
            Hil.Log("candump -L wrote: " + text2.Trim().Replace("\n", " | ", StringComparison.Ordinal));
            Hil.Expect(text2.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 3, "candump -L did not log 3 frames");

            await using ServiceProvider replay = Plugin(o =>
            {
                o.Source = CanSourceKind.Replay;
                o.ReplayFile = log;
                o.ReplayAtRecordedSpeed = false;
                o.DbcFile = dbcPath;
            });
            CanCapability player = replay.GetRequiredService<CanCapability>();
            var replayMesh = new HilPublisher();
            Hil.Ok(await Hil.Call(player, replayMesh, "can.subscribe", """{"mode":"signals","max_rate_hz":100}"""), "can.subscribe signals");
            Hil.Ok(await Hil.Call(player, replayMesh, "can.subscribe", """{"mode":"raw","max_rate_hz":100}"""), "can.subscribe raw");
            using var replayStop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await player.RunAsync(replayMesh, replayStop.Token);         // ends with the log (no loop)
            JsonElement body = await WaitForSignals(replayMesh, "BodyStatus", 0);
            Hil.Near(12.34, body.GetProperty("VehicleSpeed").GetDouble(), 1e-9, "replayed VehicleSpeed");
            JsonElement battery = await WaitForSignals(replayMesh, "BatteryStatus", 0);
            Hil.Near(402.5, battery.GetProperty("PackVoltage").GetDouble(), 1e-9, "replayed PackVoltage (extended id)");
            Hil.Near(-12.3, battery.GetProperty("PackCurrent").GetDouble(), 1e-9, "replayed PackCurrent (extended id)");
            string[] raw = [.. replayMesh.Chunks.Where(c => c.Codec == "candump").Select(c => Encoding.ASCII.GetString(c.Data).Trim())];
            Hil.Expect(raw.Length == 3 && raw[2].EndsWith("123#0102", StringComparison.Ordinal), $"raw replay chunks: {string.Join(" | ", raw)}");
            JsonElement stats = Hil.Ok(await Hil.Call(player, replayMesh, "can.stats", null, CommandKind.Query), "can.stats");
            Hil.Expect(stats.GetProperty("frames").GetInt64() == 3 && stats.GetProperty("unknown_frames").GetInt64() == 1, $"replay stats: {stats}");
        });
    }

    private static ServiceProvider Plugin(Action<CanOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddMeowstikAgent(o => o.DeviceId = "hil-vm").AddCan(configure);
        return services.BuildServiceProvider();
    }

    /// <summary>The signals of the first decoded chunk of <paramref name="message"/> published after chunk <paramref name="from"/>.</summary>
    private static async Task<JsonElement> WaitForSignals(HilPublisher mesh, string message, int from)
    {
        JsonElement found = default;
        bool ok = await Hil.WaitUntil(() =>
        {
            foreach ((string? codec, byte[] data, _, _) in mesh.Chunks.Skip(from))
            {
                if (codec != "json")
                {
                    continue;
                }

                JsonElement chunk = JsonDocument.Parse(data).RootElement;
                if (chunk.GetProperty("message").GetString() == message)
                {
                    found = chunk.GetProperty("signals").Clone();
                    return true;
                }
            }

            return false;
        }, 5);
        Hil.Expect(ok, $"no decoded {message} chunk within 5 s (chunks: {string.Join(" | ", mesh.Chunks.Skip(from).Select(c => Encoding.UTF8.GetString(c.Data)))})");
        Hil.Log($"decoded {message}: {found}");
        return found;
    }

    /// <summary>Raw CAN sockets bound on the interface, as the kernel lists them.</summary>
    private static int RawReceivers() =>
        File.Exists("/proc/net/can/rcvlist_all")
            ? File.ReadAllLines("/proc/net/can/rcvlist_all").Count(l => l.TrimStart().StartsWith(Interface + " ", StringComparison.Ordinal))
            : 0;

    /// <summary>The "other ECU": a plain Iot.Device.SocketCan socket that writes frames and queues what it reads.</summary>
    private sealed class EcuSocket : IDisposable
    {
        private readonly CanRaw _socket;
        private readonly BlockingCollection<(uint, bool, byte[])> _received = [];
        private volatile bool _disposed;

        public EcuSocket(string name)
        {
            _socket = new CanRaw(name);
            new Thread(Read) { IsBackground = true, Name = "hil-ecu" }.Start();
        }

        public void Write(uint id, bool extended, byte[] data) =>
            _socket.WriteFrame(data, extended ? new CanId { Extended = id } : new CanId { Standard = id });

        public (uint Id, bool Extended, byte[] Data)? Take(double seconds) =>
            _received.TryTake(out (uint, bool, byte[]) frame, TimeSpan.FromSeconds(seconds)) ? frame : null;

        public void Clear()
        {
            while (_received.TryTake(out _))
            {
            }
        }

        public void Dispose()
        {
            _disposed = true;
            _socket.Dispose();
        }

        private void Read()
        {
            byte[] buffer = new byte[8];
            try
            {
                while (!_disposed)
                {
                    if (_socket.TryReadFrame(buffer, out int length, out CanId id))
                    {
                        _received.Add((id.ExtendedFrameFormat ? id.Extended : id.Standard, id.ExtendedFrameFormat, buffer[..length]));
                    }
                }
            }
            catch (Exception) when (_disposed)
            {
                // Disposed while blocked in a read.
            }
        }
    }
}
