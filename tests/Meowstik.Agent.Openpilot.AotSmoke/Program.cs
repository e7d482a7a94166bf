using System.Buffers.Binary;
using Meowstik.Agent;
using Meowstik.Agent.Openpilot;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// NativeAOT smoke test of the msgq path: decode the vectors, read them from msgq ring files through an agent host built
// with AddOpenpilot (configuration bound by the generated binder), and check the values. Exit code 0 = all good.
string vectors = args.Length > 0 ? args[0] : "Vectors";
int failures = 0;
void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    failures += ok ? 0 : 1;
}

foreach (string file in Directory.GetFiles(vectors, "20*.bin").Order())
{
    CapnpError error = OpenpilotEvent.TryRead(File.ReadAllBytes(file), out OpenpilotEvent e);
    Check(error == CapnpError.None && e.Kind != OpenpilotEventKind.Unknown, $"{Path.GetFileName(file)}: {error}, tag {e.UnionTag} ({e.Kind})");
}

string shm = Path.Combine(Path.GetTempPath(), $"op-aot-{Environment.ProcessId}");
Directory.CreateDirectory(shm);
try
{
    foreach ((string service, string vector) in new[] { ("carState", "2026-06_carState"), ("selfdriveState", "2026-06_selfdriveState_engaged"), ("driverMonitoringState", "2026-06_driverMonitoringState_alert"), ("gpsLocationExternal", "2026-06_gpsLocationExternal") })
    {
        // One message in a msgq ring: a 384-byte header (write_pointer at byte 8), then int64 size + payload.
        byte[] message = File.ReadAllBytes(Path.Combine(vectors, vector + ".bin"));
        byte[] ring = new byte[384 + 65536];
        BinaryPrimitives.WriteInt64LittleEndian(ring.AsSpan(384), message.Length);
        message.CopyTo(ring, 384 + 8);
        BinaryPrimitives.WriteUInt64LittleEndian(ring.AsSpan(8), (ulong)((8 + message.Length + 7) & ~7));
        File.WriteAllBytes(Path.Combine(shm, "msgq_" + service), ring);
    }

    HostApplicationBuilder builder = Host.CreateApplicationBuilder();
    builder.Configuration["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:1/ws/mesh";
    builder.Configuration["Meowstik:Agent:DeviceId"] = "comma3x-001";
    builder.Configuration["Meowstik:Agent:Token"] = "mtk_smoke";
    builder.Configuration["Meowstik:Openpilot:MsgqRoot"] = shm;
    builder.Configuration["Meowstik:Openpilot:Prefix"] = "";
    builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName))
        .AddOpenpilot(builder.Configuration.GetSection(OpenpilotOptions.SectionName));
    using IHost host = builder.Build();
    var source = (MsgqOpenpilotSource)host.Services.GetRequiredService<IOpenpilotSource>();
    OpenpilotCapability capability = host.Services.GetRequiredService<OpenpilotCapability>();
    Check(source.PollOnce((service, message) => capability.Ingest(service, message)) == 4, "four queues read");
    OpenpilotState s = capability.Latest;
    Check(Math.Round(s.SpeedMph ?? 0, 2) == 65.0, $"speed_mph {s.SpeedMph:0.00}");
    Check(s.Engaged == true && s.DriverAttention == "alert", $"engaged {s.Engaged}, driver {s.DriverAttention}");
    Check(s.Latitude == 47.1234 && s.Longitude == -122.5678, $"gps {s.Latitude},{s.Longitude}");
}
finally
{
    Directory.Delete(shm, recursive: true);
}

return failures == 0 ? 0 : 1;
