// A runnable Meowstik hub.
//   dotnet run --project samples/HubHost                       serve (http://localhost:5000 unless --urls says otherwise)
//   dotnet run --project samples/HubHost -- token issue ...    issue / list / revoke tokens (see TokenCommand)
// Settings: --Meowstik:DatabasePath=<file> (default meowstik-hub.db), --urls=<url;url>, and every ASP.NET Core/Kestrel option
// (HTTPS for wss:// through Kestrel's normal certificate configuration).
using HubHost;
using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

if (args.Length > 0 && args[0] == "token")
{
    return await TokenCommand.RunAsync(args[1..], Console.Out);
}

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
string database = builder.Configuration["Meowstik:DatabasePath"] ?? "meowstik-hub.db";
builder.Services.Configure<SqliteHubOptions>(o => o.DatabasePath = database);
builder.Services.AddMeowstikHub();

WebApplication app = builder.Build();
app.MapMeowstikHub();
app.Map("/", async context =>
{
    MeshHub hub = context.RequestServices.GetRequiredService<MeshHub>();
    context.Response.ContentType = "text/plain; charset=utf-8";
    await context.Response.WriteAsync(
        $"Meowstik hub: {hub.ConnectedDeviceCount} device(s) online, {hub.ConnectionCount} connection(s). Connect a WebSocket to /ws/mesh?token=...\n");
});

app.Lifetime.ApplicationStarted.Register(() =>
{
    ICollection<string> addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    MeshHub hub = app.Services.GetRequiredService<MeshHub>();
    Console.WriteLine($"Meowstik hub listening (database: {Path.GetFullPath(database)}):");
    foreach (string address in addresses)
    {
        string ws = address.Replace("https://", "wss://", StringComparison.Ordinal).Replace("http://", "ws://", StringComparison.Ordinal);
        Console.WriteLine($"  {ws}/ws/mesh   (also /ws/desktop/agent/{{sessionId}}, /ws/extension/{{sessionId}}, /ws/homeserver/{{serverId}}, /ws/vehicle/{{vehicleId}}, /api/live/stream/{{sessionId}})");
    }
    if (hub.ListTokensAsync().GetAwaiter().GetResult().Count == 0)
    {
        Console.WriteLine("No tokens yet. Issue one: dotnet run --project samples/HubHost -- token issue --role device --device desktop-001");
    }
});

await app.RunAsync();
return 0;
