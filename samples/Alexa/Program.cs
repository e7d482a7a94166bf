// The Alexa speaker agent (README.md beside this file):
//   dotnet run --project samples/Alexa -- --hub ws://127.0.0.1:5000 --token <device token> [--id alexa-001] [--simulation false]
// Settings: appsettings.json, environment variables (Mesh__Token, Meowstik__Audio__AlsaPlaybackDevice …), command line.
// Runs until Ctrl+C/SIGTERM. Exit codes: 0 stopped, 1 configuration error, 2 token rejected.
using Meowstik.Samples;
using Meowstik.Samples.Alexa;

return await SampleHost.RunAsync("Alexa", args, builder =>
{
    foreach (string note in AlexaAgent.Configure(builder))
    {
        Console.WriteLine(note);
    }
});
