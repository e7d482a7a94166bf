using System.Globalization;
using Meowstik.LoadTest.Measuring;
using Meowstik.LoadTest.Messages;
using Meowstik.LoadTest.Reporting;
using Meowstik.LoadTest.Scenarios;
using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest;

/// <summary>Starts each system in turn, runs the same scenarios against it, stops it, and prints the table and the raw lines.</summary>
internal sealed class LoadTestRunner(LoadTestOptions options)
{
    private const int BroadcastWindow = 4;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.WorkDirectory);
        PrintSetup();
        var measurements = new List<Measurement>();
        bool crashed = false;
        foreach (string name in options.Systems)
        {
            IMessagingSystem system;
            try
            {
                system = await StartAsync(name).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"[{name}] could not start: {ex}");
                measurements.Add(new("setup", "server started", name, null, ex.Message));
                crashed = true;
                continue;
            }
            await using (system.ConfigureAwait(false))
            {
                Console.WriteLine($"[{name}] server pid {system.Server.Id}, RSS {system.Server.ResidentBytes() / 1048576.0:0} MiB");
                foreach (IScenario scenario in CreateScenarios())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    Console.WriteLine($"[{name}] {scenario.Name}…");
                    try
                    {
                        IReadOnlyList<Measurement> result = await scenario.RunAsync(system, cancellationToken).ConfigureAwait(false);
                        measurements.AddRange(result);
                        foreach (Measurement m in result) Console.WriteLine(m.RawLine());
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        Console.Error.WriteLine($"[{name}] {scenario.Name} crashed: {ex}");
                        measurements.Add(new(scenario.Name, "crashed", name, null, $"{ex.GetType().Name}: {ex.Message}"));
                        crashed = true;
                    }
                    string counters = await system.ServerCountersAsync().ConfigureAwait(false);
                    foreach (string line in counters.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    {
                        Console.WriteLine($"raw system={name} scenario={scenario.Name} server-counter (cumulative) {line}");
                    }
                }
                Console.WriteLine($"[{name}] server log: {system.Server.WarningLines()} warning/error lines in {system.Server.LogPath}");
            }
        }

        Console.WriteLine();
        Console.WriteLine(ResultTable.Render(measurements, options.Systems));
        Console.WriteLine(crashed ? "Something crashed (see above): exit 1." : "Done: nothing crashed.");
        return crashed ? 1 : 0;
    }

    private IEnumerable<IScenario> CreateScenarios()
    {
        // A new instance per system: scenarios keep their counters.
        foreach (string scenario in options.Scenarios)
        {
            switch (scenario)
            {
                case "idle":
                    yield return new IdleConnectionsScenario(options.IdleConnections, TimeSpan.FromSeconds(options.Short ? 1 : 3));
                    break;
                case "p2p":
                    foreach ((int pairs, int window) in options.PointToPointShapes)
                    {
                        yield return new PointToPointScenario($"p2p {pairs}×{window}", pairs, window, options.Warmup, options.Duration);
                    }
                    break;
                case "pingpong":
                    yield return new PointToPointScenario("ping-pong 1×1", 1, 1, options.Warmup, options.Duration);
                    break;
                case "broadcast":
                    yield return new BroadcastScenario(options.BroadcastReceivers, BroadcastWindow, options.Warmup, options.Duration);
                    break;
                case "reconnect":
                    yield return new ReconnectScenario(options.ReconnectingClients, tuned: false);
                    yield return new ReconnectScenario(options.ReconnectingClients, tuned: true);
                    break;
            }
        }
    }

    private async Task<IMessagingSystem> StartAsync(string name) => name switch
    {
        "hub" => await HubSystem.StartAsync(HubTokenPlan(), options.WorkDirectory).ConfigureAwait(false),
        "nats" => await NatsSystem.StartAsync(options.WorkDirectory).ConfigureAwait(false),
        "mqtt" => await MqttSystem.StartAsync(options.WorkDirectory).ConfigureAwait(false),
        _ => throw new ArgumentException($"Unknown system {name}."),
    };

    /// <summary>
    /// One device token per client id. Senders may command their receiver; broadcast receivers are granted the broadcast
    /// sender, which is what lets them observe its events (a device observes only itself otherwise).
    /// </summary>
    private List<TokenRequest> HubTokenPlan()
    {
        var plan = new List<TokenRequest>();
        int pairs = options.PointToPointShapes.Max(s => s.Pairs);
        for (int i = 0; i < pairs; i++)
        {
            plan.Add(new(DeviceNames.PairSender(i), [DeviceNames.PairReceiver(i)]));
            plan.Add(new(DeviceNames.PairReceiver(i), []));
        }
        plan.Add(new(DeviceNames.BroadcastSender, []));
        for (int i = 0; i < options.BroadcastReceivers; i++) plan.Add(new(DeviceNames.BroadcastReceiver(i), [DeviceNames.BroadcastSender]));
        for (int i = 0; i < options.IdleConnections; i++) plan.Add(new(DeviceNames.Idle(i), []));
        for (int i = 0; i < options.ReconnectingClients; i++) plan.Add(new(DeviceNames.Agent(i), []));
        return plan;
    }

    private void PrintSetup()
    {
        string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
        Console.WriteLine("# Meowstik load test: hub vs nats-server vs mosquitto");
        Console.WriteLine($"cores {Environment.ProcessorCount}, load average {load}, open-files limit {FileDescriptorLimit.Soft():N0}, .NET {Environment.Version}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"duration {options.Duration.TotalSeconds:0.#} s per scenario after {options.Warmup.TotalSeconds:0.#} s warm-up; message {MessageTemplate.TargetSize} B; systems {string.Join(',', options.Systems)}; scenarios {string.Join(',', options.Scenarios)}{(options.Short ? " (short)" : "")}"));
        Console.WriteLine($"work directory {options.WorkDirectory}");
    }
}
