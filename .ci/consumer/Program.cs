// A consumer of the packages: a hub and two agents in one process, with the two usings the docs promise.
using Meowstik.Agent;
using Meowstik.Hub.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders();
builder.Configuration["Meowstik:Hub:Sqlite:DatabasePath"] = Path.Combine(Path.GetTempPath(), $"consumer-{Guid.NewGuid():N}.db");
builder.Services.AddMeowstikHub(builder.Configuration.GetSection(MeshHubOptions.SectionName));
await using WebApplication app = builder.Build();
app.MapMeowstikHub();
await app.StartAsync();

string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
var hubUri = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + MeshPaths.Mesh);
MeshHub hub = app.Services.GetRequiredService<MeshHub>();
IssuedToken carToken = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "car", DeviceId = "car-001" });
IssuedToken desk = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Creator, Subject = "me" });

await using var car = new MeshAgent(new MeshAgentOptions { HubUri = hubUri, DeviceId = "car-001", DeviceType = "vehicle", Token = carToken.Secret });
await using var controller = new MeshAgent(new MeshAgentOptions { HubUri = hubUri, DeviceId = "desk-001", DeviceType = "desktop", Token = desk.Secret });
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
Task runs = Task.WhenAll(car.RunAsync(stop.Token), controller.RunAsync(stop.Token));
await car.WaitUntilOnlineAsync().WaitAsync(stop.Token);
await controller.WaitUntilOnlineAsync().WaitAsync(stop.Token);

// The shared vocabulary without a using: MeshRequestException, MeshEvent (Meowstik.Protocol, imported by the package).
try
{
    await controller.QueryAsync("car-001", "no_such_action", timeout: TimeSpan.FromSeconds(10));
    throw new InvalidOperationException("the query should have failed");
}
catch (MeshRequestException ex)
{
    Console.WriteLine($"consumer: query refused as expected: {ex.Code} (device {ex.DeviceId})");
}
MeshEvent? seen = null;
using (MeshSubscription<MeshEvent> events = hub.SubscribeEvents(eventName: "hello"))
{
    car.PublishEvent("hello", MeshJson.Raw("""{"from_consumer":true}"""));
    await foreach (MeshEvent e in events.WithCancellation(stop.Token)) { seen = e; break; }
}
Console.WriteLine($"consumer: hub saw '{seen!.Name}' from {seen.From}");
stop.Cancel();
await runs.ContinueWith(_ => { });
await app.StopAsync();
Console.WriteLine("consumer: ok");
