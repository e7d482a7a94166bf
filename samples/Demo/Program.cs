// The Meowstik mesh in one command:
//   dotnet run --project samples/Demo [-- --without-optional-tools] [--speed-seconds 4]
// 1. starts an embedded hub (Kestrel on 127.0.0.1, a temporary SQLite file) and the Comma3x, HomeServer and Alexa samples in
//    simulation, in this process, through the same Configure methods the standalone samples run; then acts as the creator's
//    controller (a creator token), and
// 2. lists the devices and their capabilities, 3. asks the car for its status and ETA, 4. makes the Alexa speak,
// 5. turns the TV on through the home server (proxy), 6. shows the car's CAN speed live for a few seconds,
// 7. revokes the car's token and shows it drop.
// mosquitto and espeak-ng are used when installed; otherwise an in-process broker and a placeholder voice stand in, and the
// demo says so (--without-optional-tools forces that path). Exit code 0 when every step worked; 1 naming the failed step.
using System.Globalization;
using System.Text.Json;
using Meowstik.Agent;
using Meowstik.Hub.Core;
using Meowstik.Protocol;
using Meowstik.Samples.Alexa;
using Meowstik.Samples.Comma3x;
using Meowstik.Samples.Demo;
using Meowstik.Samples.HomeServer;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

bool withoutOptionalTools = args.Contains("--without-optional-tools");
double speedSeconds = 4;
int secondsAt = Array.IndexOf(args, "--speed-seconds");
if (secondsAt >= 0 && (secondsAt + 1 >= args.Length || !double.TryParse(args[secondsAt + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out speedSeconds) || speedSeconds is < 1 or > 60))
{
    Console.Error.WriteLine("usage: Demo [--without-optional-tools] [--speed-seconds 1..60]");
    return 2;
}

TimeSpan stepTimeout = TimeSpan.FromSeconds(20);
string workDir = Path.Combine(Path.GetTempPath(), "meowstik-demo-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(workDir);
int step = 0;
const int Steps = 7;
void Step(string text) => Console.WriteLine($"[{++step}/{Steps}] {text}");
void Show(string text) => Console.WriteLine("      " + text);

WebApplication? app = null;
MeshAgent? controller = null;
var devices = new List<IHost>();
using var stop = new CancellationTokenSource();
Task? controllerRun = null;
try
{
    Step("Starting an embedded hub and the three sample agents in simulation ...");
    WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Logging.ClearProviders();
    builder.Configuration["Meowstik:Hub:Sqlite:DatabasePath"] = Path.Combine(workDir, "hub.db");
    builder.Services.AddMeowstikHub(builder.Configuration.GetSection(MeshHubOptions.SectionName), o => o.HeartbeatInterval = TimeSpan.FromSeconds(1));
    app = builder.Build();
    app.MapMeowstikHub();
    await app.StartAsync();
    string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    string hubBase = address.Replace("http://", "ws://", StringComparison.Ordinal);
    MeshHub hub = app.Services.GetRequiredService<MeshHub>();
    Show($"hub listening on {hubBase} (/ws/vehicle/{{id}}, /ws/homeserver/{{id}}, /ws/mesh)");

    IssuedToken carToken = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "Jason's Comma 3X", DeviceId = Comma3xAgent.DefaultDeviceId });
    IssuedToken homeToken = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "Home server", DeviceId = HomeServerAgent.DefaultDeviceId });
    IssuedToken alexaToken = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "Kitchen Alexa", DeviceId = AlexaAgent.DefaultDeviceId });
    IssuedToken creatorToken = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Creator, Subject = "Jason" });
    Show($"issued device tokens {carToken.TokenId}, {homeToken.TokenId}, {alexaToken.TokenId} and creator token {creatorToken.TokenId}");

    Dictionary<string, string?> Settings(string id, string token, params (string Key, string? Value)[] more)
    {
        var s = new Dictionary<string, string?> { ["Mesh:Hub"] = hubBase, ["Mesh:Token"] = token, ["Mesh:DeviceId"] = id, ["Mesh:Simulation"] = "true" };
        foreach ((string k, string? v) in more)
        {
            s[k] = v;
        }

        return s;
    }

    (string, string?)[] homeExtra = withoutOptionalTools ? [("HomeServer:Broker", "InProcess")] : [];
    (string, string?)[] alexaExtra = withoutOptionalTools
        ? [("Alexa:SpeechFolder", Path.Combine(workDir, "speech")), ("Meowstik:Audio:TtsCommand", "espeak-ng-not-installed")]
        : [("Alexa:SpeechFolder", Path.Combine(workDir, "speech"))];
    MeshAgent car = await StartSampleAsync("Comma3x", Comma3xAgent.Configure, Settings(Comma3xAgent.DefaultDeviceId, carToken.Secret), devices, Show, stepTimeout);
    MeshAgent home = await StartSampleAsync("HomeServer", HomeServerAgent.Configure, Settings(HomeServerAgent.DefaultDeviceId, homeToken.Secret, homeExtra), devices, Show, stepTimeout);
    MeshAgent alexa = await StartSampleAsync("Alexa", AlexaAgent.Configure, Settings(AlexaAgent.DefaultDeviceId, alexaToken.Secret, alexaExtra), devices, Show, stepTimeout);

    controller = new MeshAgent(new MeshAgentOptions
    {
        HubUri = new Uri(hubBase + MeshPaths.Mesh),
        DeviceId = "controller-001",
        DeviceType = "desktop",
        DeviceName = "Jason's desktop",
        Token = creatorToken.Secret,
    });
    var carOffline = new TaskCompletionSource<MeshEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
    var momentSeen = new TaskCompletionSource<MeshEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
    controller.EventReceived += (_, e) =>
    {
        if (e.Name == "moment_recorded")
        {
            momentSeen.TrySetResult(e);
        }
        else if (e.Name == "device_offline" && e.Payload.TryGetProperty("device_id", out JsonElement id) && id.GetString() == Comma3xAgent.DefaultDeviceId)
        {
            carOffline.TrySetResult(e);
        }
    };
    controllerRun = controller.RunAsync(stop.Token);
    await controller.WaitUntilOnlineAsync().WaitAsync(stepTimeout);
    Show("controller-001 (creator token) online");

    Step("The devices on the mesh and their capabilities (the hub's list_devices, get_capabilities) ...");
    MeshReply list = await controller.SendCommandAsync("hub", "list_devices", timeout: stepTimeout);
    var seen = new HashSet<string>(StringComparer.Ordinal);
    foreach (JsonElement d in list.Result.GetProperty("devices").EnumerateArray().OrderBy(d => d.GetProperty("device_id").GetString(), StringComparer.Ordinal))
    {
        string id = d.GetProperty("device_id").GetString()!;
        seen.Add(id);
        string type = d.TryGetProperty("device_type", out JsonElement t) ? t.GetString() ?? "" : "";
        string caps = string.Join(", ", d.GetProperty("capabilities").EnumerateArray().Select(c => c.GetString()));
        Show($"{id,-15} {type,-10} {(d.GetProperty("online").GetBoolean() ? "online" : "offline"),-7} [{caps}]");
        if (id != "controller-001")
        {
            JsonElement c = (await controller.SendCommandAsync("hub", "get_capabilities", MeshJson.Object(w => w.WriteString("device_id", id)), stepTimeout)).Result;
            string Names(string kind) => c.TryGetProperty(kind, out JsonElement a) ? string.Join(" ", a.EnumerateArray().Select(x => x.GetString())) : "";
            Show($"{"",-15} queries:  {Names("queries")}");
            Show($"{"",-15} commands: {Names("commands")}");
        }
    }

    foreach (string expected in new[] { Comma3xAgent.DefaultDeviceId, HomeServerAgent.DefaultDeviceId, AlexaAgent.DefaultDeviceId })
    {
        if (!seen.Contains(expected))
        {
            throw new DemoStepException($"{expected} is not in the hub's device list");
        }
    }

    JsonElement carState = await WaitForHeartbeatAsync(controller, Comma3xAgent.DefaultDeviceId, stepTimeout);
    JsonElement beat = carState.GetProperty("last_heartbeat");
    beat = beat.TryGetProperty("value", out JsonElement v) ? v : beat;
    Show($"comma3x-001 heartbeat (get_state): uptime {beat.GetProperty("uptime_seconds")} s, memory {beat.GetProperty("memory_mb").GetDouble():0.#} MB, cpu {beat.GetProperty("cpu_percent").GetDouble():0.#} %");

    Step("Asking the car for its status and ETA ...");
    JsonElement status = await WaitForCarDataAsync(controller, stepTimeout);
    Show("query  {\"type\":\"query\",\"to\":\"comma3x-001\",\"payload\":{\"action\":\"status\"}}");
    Show("status " + status.GetRawText());
    MeshReply nav = await controller.SendCommandAsync(Comma3xAgent.DefaultDeviceId, "navigate",
        MeshJson.Object(w => w.WriteString("destination", "Ocean Shores Tech")), stepTimeout);
    JsonElement n = nav.Result;
    Show($"navigate to {n.GetProperty("destination").GetString()}: {n.GetProperty("distance_mi")} mi, ETA {n.GetProperty("eta_minutes")} min ({n.GetProperty("eta_basis").GetString()})");
    status = (await controller.QueryAsync(Comma3xAgent.DefaultDeviceId, "status", timeout: stepTimeout)).Result;
    Show("status " + status.GetRawText());
    if (status.GetProperty("destination").GetString() != "Ocean Shores Tech" || status.GetProperty("eta_minutes").ValueKind != JsonValueKind.Number)
    {
        throw new DemoStepException("the car's status has no destination or ETA after navigate");
    }

    JsonElement moment = (await controller.SendCommandAsync(Comma3xAgent.DefaultDeviceId, "record_moment", MeshJson.Object(w => w.WriteString("label", "demo")), stepTimeout)).Result;
    Show($"record_moment: {moment.GetProperty("moment_id").GetString()} at {moment.GetProperty("gps").GetRawText()}, snapshot {moment.GetProperty("snapshot").GetRawText()}"
         + (moment.TryGetProperty("snapshot_reason", out JsonElement why) ? $" ({why.GetString()})" : ""));
    MeshEvent momentEvent = await momentSeen.Task.WaitAsync(stepTimeout);
    Show($"controller received the event '{momentEvent.Name}' from {momentEvent.From} (broadcast to the car's observers)");
    try
    {
        await controller.SendCommandAsync(Comma3xAgent.DefaultDeviceId, "vehicle.set_cruise_speed", MeshJson.Object(w => w.WriteNumber("speed_mph", 60)), stepTimeout);
        throw new DemoStepException("the car accepted a control command although control is disabled");
    }
    catch (MeshRequestException e) when (e.Code == "control_disabled")
    {
        Show($"vehicle.set_cruise_speed refused as it should be: {e.Code}: {e.Message}");
    }

    Step("Making the Alexa speak ...");
    JsonElement spoken = (await controller.SendCommandAsync(AlexaAgent.DefaultDeviceId, "speak", MeshJson.Object(w =>
    {
        w.WriteString("text", "Jason, wake up. You have a meeting in 15 minutes.");
        w.WriteNumber("volume", 80);
    }), stepTimeout)).Result;
    long durationMs = spoken.GetProperty("duration_ms").GetInt64();
    Show($"spoke {durationMs / 1000.0:0.0} s at volume {spoken.GetProperty("volume")} with {spoken.GetProperty("engine").GetString()}"
         + (spoken.TryGetProperty("file", out JsonElement file) ? $", WAV {file.GetString()}" : ""));
    if (durationMs <= 0)
    {
        throw new DemoStepException("speak reported no audio");
    }

    Step("Turning the TV on through the home server (proxy) ...");
    const string TvCommand = """{"target":"living-room-tv","command":{"action":"power","params":{"state":"on"}}}""";
    Show("command {\"type\":\"command\",\"to\":\"homeserver-001\",\"payload\":{\"action\":\"proxy\"," + TvCommand[1..] + "}");
    JsonElement tv = await ProxyAsync(controller, TvCommand, stepTimeout);
    Show($"living-room-tv answered: state {tv.GetProperty("state").GetRawText()}");
    if (!tv.GetProperty("state").TryGetProperty("POWER", out JsonElement power) || power.GetString() != "ON")
    {
        throw new DemoStepException("the TV did not report POWER ON");
    }

    JsonElement sensor = (await controller.QueryAsync(HomeServerAgent.DefaultDeviceId, "sensor.read", timeout: stepTimeout)).Result;
    Show($"home server BME280: {sensor.GetProperty("temperature_c").GetDouble():0.0} °C, {sensor.GetProperty("pressure_hpa").GetDouble():0.0} hPa, {sensor.GetProperty("humidity_percent").GetDouble():0} %");

    Step($"The car's speed, live from its CAN bus, for {speedSeconds:0} seconds ...");
    using (MeshSubscription<MeshStreamChunk> stream = controller.SubscribeStream(Comma3xAgent.DefaultDeviceId, "can"))
    {
        await controller.SendCommandAsync("hub", "subscribe_stream", MeshJson.Object(w =>
        {
            w.WriteString("device_id", Comma3xAgent.DefaultDeviceId);
            w.WriteString("stream_type", "can");
        }), stepTimeout);
        await controller.SendCommandAsync(Comma3xAgent.DefaultDeviceId, "can.subscribe", MeshJson.Object(w =>
        {
            w.WriteStartArray("signals");
            w.WriteStringValue("SPEED_KPH");
            w.WriteEndArray();
            w.WriteNumber("max_rate_hz", 2);
        }), stepTimeout);
        Show("  time       | speed km/h | speed mph | chunk");
        Show("  -----------+------------+-----------+------");
        int rows = 0;
        using var window = new CancellationTokenSource(TimeSpan.FromSeconds(speedSeconds));
        try
        {
            await foreach (MeshStreamChunk chunk in stream.WithCancellation(window.Token))
            {
                using JsonDocument doc = JsonDocument.Parse(chunk.Data);
                if (doc.RootElement.GetProperty("signals").TryGetProperty("SPEED_KPH", out JsonElement kph))
                {
                    rows++;
                    Show($"  {DateTime.Now:HH:mm:ss.f} | {kph.GetDouble(),10:0.0} | {kph.GetDouble() / 1.609344,9:0.0} | {chunk.Index,5}");
                }
            }
        }
        catch (OperationCanceledException) when (window.IsCancellationRequested)
        {
            // The window is over.
        }

        await controller.SendCommandAsync(Comma3xAgent.DefaultDeviceId, "can.unsubscribe", timeout: stepTimeout);
        if (rows < 2)
        {
            throw new DemoStepException($"only {rows} speed samples arrived in {speedSeconds:0} s");
        }

        Show($"{rows} samples, throttled by the car to 2 per second");
    }

    Step("Revoking the car's token: the hub drops it ...");
    IReadOnlyList<string> revoked = await hub.RevokeDeviceAsync(Comma3xAgent.DefaultDeviceId);
    await car.WaitForStateAsync(AgentState.AuthFailed).WaitAsync(stepTimeout);
    Show($"revoked {revoked.Count} token(s); the car's agent is {car.State} ({car.StateReason}) and does not retry");
    await carOffline.Task.WaitAsync(stepTimeout);
    Show($"controller saw device_offline for comma3x-001; hub lists it online: {hub.IsOnline(Comma3xAgent.DefaultDeviceId)}");
    try
    {
        await controller.QueryAsync(Comma3xAgent.DefaultDeviceId, "status", timeout: stepTimeout);
        throw new DemoStepException("the revoked car still answered");
    }
    catch (MeshRequestException e)
    {
        Show($"status query to the revoked car: error '{e.Code}': {e.Message}");
    }

    Show($"home server and Alexa still online: {home.IsOnline && alexa.IsOnline}");
    Console.WriteLine("Demo finished: every step worked.");
    return 0;
}
catch (Exception ex) when (ex is DemoStepException or TimeoutException or MeshAuthenticationException or MeshRequestException or InvalidOperationException
                           or IOException or KeyNotFoundException or JsonException or OperationCanceledException or ArgumentException)
{
    Console.Error.WriteLine($"Demo FAILED at step {step}/{Steps}: {ex.GetType().Name}: {ex.Message}");
    return 1;
}
finally
{
    await stop.CancelAsync();
    if (controllerRun is not null)
    {
        await controllerRun.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    if (controller is not null)
    {
        await controller.DisposeAsync();
    }

    foreach (IHost device in Enumerable.Reverse(devices))
    {
        try
        {
            await device.StopAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or MeshAuthenticationException or AggregateException)
        {
            // The revoked car's host reports its rejected token when it stops.
        }

        device.Dispose();
    }

    if (app is not null)
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    try
    {
        Directory.Delete(workDir, recursive: true);
    }
    catch (IOException)
    {
        // Left for the OS to clean up.
    }
}

// Builds and starts one sample exactly as its own Program does, from settings in memory instead of appsettings.json.
static async Task<MeshAgent> StartSampleAsync(string name, Func<IHostApplicationBuilder, IReadOnlyList<string>> configure, Dictionary<string, string?> settings,
    List<IHost> hosts, Action<string> show, TimeSpan timeout)
{
    HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = AppContext.BaseDirectory });
    builder.Configuration.AddInMemoryCollection(settings);
    foreach (string note in configure(builder))
    {
        show($"{name}: {note}");
    }

    IHost host = builder.Build();
    hosts.Add(host);
    await host.StartAsync();
    MeshAgent agent = host.Services.GetRequiredService<MeshAgent>();
    try
    {
        await agent.WaitUntilOnlineAsync().WaitAsync(timeout);
    }
    catch (TimeoutException)
    {
        throw new DemoStepException($"{name} did not come online within {timeout.TotalSeconds:0} s: its agent is {agent.State} ({agent.StateReason})");
    }

    show($"{name} online as {agent.DeviceId} (session {agent.SessionId}, heartbeat every {agent.HeartbeatInterval.TotalSeconds:0.#} s): [{string.Join(", ", agent.AdvertisedCapabilities)}]");
    return agent;
}

// The hub keeps each device's last heartbeat (uptime, memory, cpu): ask for the device until one arrived.
static async Task<JsonElement> WaitForHeartbeatAsync(MeshAgent controller, string deviceId, TimeSpan timeout)
{
    DateTime end = DateTime.UtcNow + timeout;
    while (true)
    {
        JsonElement d = (await controller.SendCommandAsync("hub", "get_state", MeshJson.Object(w => w.WriteString("device_id", deviceId)), timeout)).Result;
        JsonElement device = d.TryGetProperty("device", out JsonElement inner) ? inner : d;
        if (device.TryGetProperty("last_heartbeat", out _))
        {
            return device;
        }

        if (DateTime.UtcNow > end)
        {
            throw new DemoStepException($"no heartbeat from {deviceId} reached the hub: {d.GetRawText()}");
        }

        await Task.Delay(200);
    }
}

// The replays need a moment for the first GPS fix and CAN frame: ask until the status has both.
static async Task<JsonElement> WaitForCarDataAsync(MeshAgent controller, TimeSpan timeout)
{
    DateTime end = DateTime.UtcNow + timeout;
    while (true)
    {
        JsonElement s = (await controller.QueryAsync(Comma3xAgent.DefaultDeviceId, "status", timeout: timeout)).Result;
        if (s.GetProperty("gps").ValueKind == JsonValueKind.Object && s.GetProperty("speed_mph").ValueKind == JsonValueKind.Number)
        {
            return s;
        }

        if (DateTime.UtcNow > end)
        {
            throw new DemoStepException("the car has no GPS fix or CAN speed yet: " + s.GetRawText());
        }

        await Task.Delay(200);
    }
}

// The bridge connects to the broker right after start: a proxy command before that is refused (broker_unavailable), never queued.
static async Task<JsonElement> ProxyAsync(MeshAgent controller, string command, TimeSpan timeout)
{
    DateTime end = DateTime.UtcNow + timeout;
    while (true)
    {
        try
        {
            return (await controller.SendCommandAsync(HomeServerAgent.DefaultDeviceId, "proxy", MeshJson.Raw(command), timeout)).Result;
        }
        catch (MeshRequestException e) when (e.Code == "broker_unavailable" && DateTime.UtcNow < end)
        {
            await Task.Delay(200);
        }
    }
}
