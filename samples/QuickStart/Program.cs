// A first runnable Meowstik mesh, all in one process:
//   dotnet run --project samples/QuickStart
// 1. starts an embedded hub (Meowstik.Hub on Kestrel, 127.0.0.1, a temporary SQLite file),
// 2. connects a simulated car (device token, a 'status' capability) and a controller (creator token),
// 3. shows a status query round trip, an event broadcast, the hub's device list, and a token revocation dropping the car.
// Exit code 0 when every step worked; 1 with a message naming the failed step otherwise.
using System.Text.Json;
using Meowstik.Agent;
using Meowstik.Hub.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using QuickStart;

TimeSpan stepTimeout = TimeSpan.FromSeconds(15);
string workDir = Path.Combine(Path.GetTempPath(), "meowstik-quickstart-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(workDir);
int step = 0;
const int Steps = 8;
void Step(string text) => Console.WriteLine($"[{++step}/{Steps}] {text}");
void Show(string text) => Console.WriteLine("      " + text);

WebApplication? app = null;
MeshAgent? car = null;
MeshAgent? controller = null;
using var stop = new CancellationTokenSource();
var runs = new List<Task>();
try
{
    Step("Starting an embedded hub on 127.0.0.1 ...");
    WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    builder.Logging.ClearProviders();
    string database = Path.Combine(workDir, "hub.db");
    builder.Configuration["Meowstik:Hub:Sqlite:DatabasePath"] = database; // as appsettings.json would set it
    builder.Services.AddMeowstikHub(builder.Configuration.GetSection(MeshHubOptions.SectionName), o => o.HeartbeatInterval = TimeSpan.FromSeconds(1));
    app = builder.Build();
    app.MapMeowstikHub();
    await app.StartAsync();
    string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    var hubUri = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/ws/mesh");
    MeshHub hub = app.Services.GetRequiredService<MeshHub>();
    Show($"hub listening on {hubUri}");

    Step("Issuing tokens: a device token for the car, a creator token for the controller ...");
    IssuedToken carToken = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "Jason's Comma 3X", DeviceId = "comma3x-001" });
    IssuedToken creatorToken = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Creator, Subject = "Jason" });
    Show($"car token {carToken.TokenId}, creator token {creatorToken.TokenId} (stored hashed in {Path.GetFileName(database)})");

    Step("Connecting the car (comma3x-001) and the controller (controller-001) ...");
    car = new MeshAgent(
        new MeshAgentOptions { HubUri = hubUri, DeviceId = "comma3x-001", DeviceType = "vehicle", DeviceName = "Jason's Comma 3X", Token = carToken.Secret },
        [new CarStatusCapability()]);
    controller = new MeshAgent(
        new MeshAgentOptions { HubUri = hubUri, DeviceId = "controller-001", DeviceType = "desktop", DeviceName = "Jason's desktop", Token = creatorToken.Secret });
    var broadcastSeen = new TaskCompletionSource<MeshEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
    var carOffline = new TaskCompletionSource<MeshEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
    controller.EventReceived += (_, e) =>
    {
        if (e.Name == "trip_started")
        {
            broadcastSeen.TrySetResult(e);
        }
        else if (e.Name == "device_offline" && e.Payload.TryGetProperty("device_id", out JsonElement id) && id.GetString() == "comma3x-001")
        {
            carOffline.TrySetResult(e);
        }
    };
    runs.Add(car.RunAsync(stop.Token));
    runs.Add(controller.RunAsync(stop.Token));
    await car.WaitUntilOnlineAsync().WaitAsync(stepTimeout);
    await controller.WaitUntilOnlineAsync().WaitAsync(stepTimeout);
    Show($"car registered: session {car.SessionId}, capabilities [{string.Join(", ", car.AdvertisedCapabilities)}], heartbeat every {car.HeartbeatInterval.TotalSeconds:0.#} s");
    Show($"controller registered: session {controller.SessionId}");

    Step("The controller queries the car's status through the hub ...");
    MeshReply status = await controller.QueryAsync("comma3x-001", "status", timeout: stepTimeout);
    JsonElement r = status.Result;
    Show($"response from {status.From}: speed {r.GetProperty("speed_mph").GetInt32()} mph, ETA {r.GetProperty("eta_minutes").GetInt32()} min to {r.GetProperty("destination").GetString()}, " +
         $"gps {r.GetProperty("gps").GetProperty("lat").GetDouble()},{r.GetProperty("gps").GetProperty("lng").GetDouble()}, engaged {r.GetProperty("engaged").GetBoolean()}, driver {r.GetProperty("driver_attention").GetString()}");

    Step("The car broadcasts an event ...");
    car.PublishEvent("trip_started", MeshJson.Object(w => w.WriteString("destination", "Ocean Shores Tech")), to: "broadcast");
    MeshEvent trip = await broadcastSeen.Task.WaitAsync(stepTimeout);
    Show($"controller received '{trip.Name}' from {trip.From}: destination {trip.Data.GetProperty("destination").GetString()}");

    Step("The hub's device list ...");
    await WaitForHeartbeatAsync(hub, "comma3x-001", stepTimeout);
    foreach (DeviceState device in hub.ListDevices().OrderBy(d => d.DeviceId, StringComparer.Ordinal))
    {
        string beat = device.LastHeartbeat is { } hb
            ? $", heartbeat: uptime {hb.Value.GetProperty("uptime_seconds").GetInt64()} s, memory {hb.Value.GetProperty("memory_mb").GetDouble():0.#} MB, cpu {hb.Value.GetProperty("cpu_percent").GetDouble():0.#} %"
            : string.Empty;
        Show($"{device.DeviceId,-15} {device.Registration.DeviceType,-8} {(device.IsOnline ? "online" : "offline"),-7} [{string.Join(", ", device.Registration.Capabilities)}]{beat}");
    }

    Step("Revoking the car's token: the hub drops it ...");
    IReadOnlyList<string> revoked = await hub.RevokeDeviceAsync("comma3x-001");
    await car.WaitForStateAsync(AgentState.AuthFailed).WaitAsync(stepTimeout);
    Show($"revoked {revoked.Count} token(s); car state {car.State} ({car.StateReason}); it does not retry");
    MeshEvent offline = await carOffline.Task.WaitAsync(stepTimeout);
    Show($"controller saw '{offline.Name}' for comma3x-001; hub reports the car online: {hub.IsOnline("comma3x-001")}");
    if (hub.IsOnline("comma3x-001"))
    {
        throw new QuickStartStepException("the hub still lists the car as online after its token was revoked");
    }

    Step("The controller asks the revoked car again ...");
    try
    {
        await controller.QueryAsync("comma3x-001", "status", timeout: stepTimeout);
        throw new QuickStartStepException("the revoked car still answered");
    }
    catch (MeshRequestException ex)
    {
        Show($"hub answered with error '{ex.Code}': {ex.Message}");
    }

    Console.WriteLine("QuickStart finished: every step worked.");
    return 0;
}
catch (Exception ex) when (ex is QuickStartStepException or TimeoutException or MeshAuthenticationException or MeshRequestException or InvalidOperationException or IOException)
{
    Console.Error.WriteLine($"QuickStart FAILED at step {step}/{Steps}: {ex.Message}");
    return 1;
}
finally
{
    await stop.CancelAsync();
    await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
    if (car is not null)
    {
        await car.DisposeAsync();
    }

    if (controller is not null)
    {
        await controller.DisposeAsync();
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

static async Task WaitForHeartbeatAsync(MeshHub hub, string deviceId, TimeSpan timeout)
{
    DateTime end = DateTime.UtcNow + timeout;
    while (hub.GetDeviceState(deviceId)?.LastHeartbeat is null)
    {
        if (DateTime.UtcNow > end)
        {
            throw new QuickStartStepException($"no heartbeat from {deviceId} reached the hub's state store");
        }

        await Task.Delay(50);
    }
}
