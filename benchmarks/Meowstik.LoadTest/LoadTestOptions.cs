using System.Globalization;

namespace Meowstik.LoadTest;

/// <summary>The command line of a load-test run (the parent process).</summary>
internal sealed class LoadTestOptions
{
    public static readonly string[] AllScenarios = ["idle", "p2p", "pingpong", "broadcast", "reconnect"];

    public static readonly string[] AllSystems = ["nats", "hub", "mqtt"];

    /// <summary>How long each throughput scenario sends (after its warm-up).</summary>
    public TimeSpan Duration { get; private set; } = TimeSpan.FromSeconds(10);

    /// <summary>Sends before measuring starts, so connections, JIT and buffers are warm.</summary>
    public TimeSpan Warmup => Short ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(1);

    /// <summary>The CI variant: short durations and small counts.</summary>
    public bool Short { get; private set; }

    public IReadOnlyList<string> Scenarios { get; private set; } = AllScenarios;

    /// <summary>Systems in the order they run; ratios are always taken against nats.</summary>
    public IReadOnlyList<string> Systems { get; private set; } = AllSystems;

    /// <summary>Idle registered connections held open at once.</summary>
    public int IdleConnections { get; private set; } = 10_000;

    /// <summary>Agents that reconnect after a server restart.</summary>
    public int ReconnectingClients { get; private set; } = 1_000;

    /// <summary>Receivers of the broadcast scenario.</summary>
    public int BroadcastReceivers { get; private set; } = 100;

    /// <summary>Point-to-point shapes: pairs × messages in flight per pair.</summary>
    public IReadOnlyList<(int Pairs, int Window)> PointToPointShapes { get; } = [(10, 16), (100, 4)];

    /// <summary>Where server logs and configuration files go.</summary>
    public string WorkDirectory { get; private set; } = Path.Combine(Path.GetTempPath(), "meowstik-loadtest", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    public static LoadTestOptions Parse(string[] args)
    {
        var options = new LoadTestOptions();
        bool durationGiven = false;
        int? idle = null, reconnect = null;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--duration":
                    options.Duration = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture));
                    durationGiven = true;
                    break;
                case "--short":
                    options.Short = true;
                    break;
                case "--only":
                    options.Scenarios = Pick(Value(), AllScenarios, "--only");
                    break;
                case "--systems":
                    options.Systems = Pick(Value(), AllSystems, "--systems");
                    break;
                case "--idle":
                    idle = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--reconnect-clients":
                    reconnect = int.Parse(Value(), CultureInfo.InvariantCulture);
                    break;
                case "--work-dir":
                    options.WorkDirectory = Path.GetFullPath(Value());
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}. Options: --duration <s> --short --only <{string.Join('|', AllScenarios)}>[,…] --systems hub,nats,mqtt --idle <n> --reconnect-clients <n> --work-dir <dir>");
            }
        }
        if (options.Short)
        {
            if (!durationGiven) options.Duration = TimeSpan.FromSeconds(2);
            options.IdleConnections = 500;
            options.ReconnectingClients = 100;
        }
        if (idle is { } n) options.IdleConnections = n;
        if (reconnect is { } r) options.ReconnectingClients = r;
        return options;
    }

    private static string[] Pick(string list, string[] known, string option)
    {
        string[] picked = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (string name in picked)
        {
            if (!known.Contains(name)) throw new ArgumentException($"{option}: unknown '{name}'; known: {string.Join(", ", known)}.");
        }
        // Keep the canonical order whatever order was typed.
        return known.Where(picked.Contains).ToArray();
    }
}
