// One workload against the Meowstik hub, nats-server and mosquitto in one run; prints one Markdown table (see README.md).
//   dotnet run -c Release --project benchmarks/Meowstik.LoadTest -- [--short] [--duration 10] [--only p2p,idle] [--systems hub,nats,mqtt]
// The same executable serves the hub in a child process: --serve-hub --port N --db FILE (see HubServerMode).
using Meowstik.LoadTest;
using Meowstik.LoadTest.Hosting;

if (args.Contains(HubServerMode.Flag)) return await HubServerMode.RunAsync(args);

LoadTestOptions options;
try
{
    options = LoadTestOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(options.Short ? 5 : 30));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await new LoadTestRunner(options).RunAsync(cancel.Token);
