// The home server agent (README.md beside this file):
//   dotnet run --project samples/HomeServer -- --hub ws://127.0.0.1:5000 --token <device token> [--id homeserver-001] [--simulation false]
// Settings: appsettings.json, environment variables (Mesh__Token, Meowstik__Iot__Mqtt__Host …), command line.
// Runs until Ctrl+C/SIGTERM. Exit codes: 0 stopped, 1 configuration error, 2 token rejected.
using Meowstik.Samples;
using Meowstik.Samples.HomeServer;

return await SampleHost.RunAsync("HomeServer", args, builder =>
{
    foreach (string note in HomeServerAgent.Configure(builder))
    {
        Console.WriteLine(note);
    }
});
