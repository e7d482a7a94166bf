// A runnable Meowstik hub.
//   dotnet run --project samples/HubHost                       serve (http://localhost:5000 unless --urls says otherwise)
//   dotnet run --project samples/HubHost -- token issue ...    issue / list / revoke tokens (see TokenCommand)
// Every hub setting comes from configuration, section Meowstik:Hub (see appsettings.json beside this file): the JSON file,
// environment variables (Meowstik__Hub__RateLimitBurst=800, Meowstik__Hub__Sqlite__DatabasePath=/var/lib/meowstik/hub.db)
// or the command line (--Meowstik:Hub:Endpoints:PathPrefix=/mesh). A misspelt key or a value out of range stops the hub at
// start-up with a message naming the key. --urls and every ASP.NET Core/Kestrel option work as usual.
// It serves http://localhost:5000 and https://localhost:5001 (wss://) by default ("Urls" in appsettings.json). Without a
// configured certificate (Kestrel:Certificates:Default) https uses a self-signed development certificate created on first
// run in the data folder, beside the database; its public part (hubhost-dev-cert.pem) is what agents trust.
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HubHost;
using Meowstik.Hub.AspNetCore;
using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

// appsettings.json is read from beside the executable, so the hub finds it whatever the working directory.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
IConfigurationSection hubSection = builder.Configuration.GetSection(MeshHubOptions.SectionName);

if (args.Length > 0 && args[0] == "token")
{
    // The same configuration as the server: the token command opens the database the hub uses.
    return await TokenCommand.RunAsync(args[1..], hubSection, Console.Out);
}

builder.Services.AddMeowstikHub(hubSection);

// https/wss: the configured certificate if there is one, else the development certificate, created when https first binds.
builder.WebHost.UseKestrelHttpsConfiguration();
X509Certificate2? developmentCertificate = null;
if (!builder.Configuration.GetSection("Kestrel:Certificates:Default").Exists())
{
    string dataFolder = Path.GetDirectoryName(Path.GetFullPath(
        hubSection[$"{SqliteHubOptions.SectionName}:{nameof(SqliteHubOptions.DatabasePath)}"] ?? SqliteHubOptions.DefaultDatabasePath))!;
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
    {
        if (developmentCertificate is null)
        {
            developmentCertificate = DevelopmentCertificate.LoadOrCreate(dataFolder, TimeProvider.System, out bool created);
            string pem = Path.Combine(dataFolder, DevelopmentCertificate.PublicFileName);
            string pin = Convert.ToBase64String(SHA256.HashData(developmentCertificate.PublicKey.ExportSubjectPublicKeyInfo()));
            Console.WriteLine($"{(created ? "Created" : "Using")} the development certificate {pem} (pin-sha256 {pin}); agents trust it through Meowstik:Agent:Tls.");
        }
        https.ServerCertificate = developmentCertificate;
    }));
}

WebApplication app = builder.Build();
app.MapMeowstikHub();
string prefix = app.Services.GetRequiredService<IOptions<MeshHubEndpointOptions>>().Value.PathPrefix.TrimEnd('/');
app.Map("/", async context =>
{
    MeshHub hub = context.RequestServices.GetRequiredService<MeshHub>();
    context.Response.ContentType = "text/plain; charset=utf-8";
    await context.Response.WriteAsync(
        $"Meowstik hub: {hub.ConnectedDeviceCount} device(s) online, {hub.ConnectionCount} connection(s). Connect a WebSocket to {prefix}/ws/mesh (Authorization: Bearer <token>)\n");
});

app.Lifetime.ApplicationStarted.Register(() =>
{
    ICollection<string> addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    MeshHub hub = app.Services.GetRequiredService<MeshHub>();
    string database = app.Services.GetRequiredService<IOptions<SqliteHubOptions>>().Value.DatabasePath;
    Console.WriteLine($"Meowstik hub listening (database: {Path.GetFullPath(database)}):");
    foreach (string address in addresses)
    {
        string ws = address.Replace("https://", "wss://", StringComparison.Ordinal).Replace("http://", "ws://", StringComparison.Ordinal) + prefix;
        Console.WriteLine($"  {ws}/ws/mesh   (also {prefix}/ws/desktop/agent/{{sessionId}}, {prefix}/ws/extension/{{sessionId}}, {prefix}/ws/homeserver/{{serverId}}, {prefix}/ws/vehicle/{{vehicleId}}, {prefix}/api/live/stream/{{sessionId}})");
    }
    if (hub.ListTokensAsync().GetAwaiter().GetResult().Count == 0)
    {
        Console.WriteLine("No tokens yet. Issue one: dotnet run --project samples/HubHost -- token issue --role device --device desktop-001");
    }
});

await app.RunAsync();
return 0;
