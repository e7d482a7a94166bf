// The Comma 3X vehicle agent (README.md beside this file):
//   dotnet run --project samples/Comma3x -- --hub ws://127.0.0.1:5000 --token <device token> [--id comma3x-001] [--simulation false]
// Settings: appsettings.json, environment variables (Mesh__Hub, Mesh__Token, Comma3x__Control__Enabled, Meowstik__Can__Interface …),
// then the command line (--Comma3x:SpeedSignal=…). Runs until Ctrl+C/SIGTERM. Exit codes: 0 stopped, 1 configuration error,
// 2 token rejected.
using Meowstik.Samples;
using Meowstik.Samples.Comma3x;

return await SampleHost.RunAsync("Comma3x", args, builder =>
{
    foreach (string note in Comma3xAgent.Configure(builder))
    {
        Console.WriteLine(note);
    }
});
