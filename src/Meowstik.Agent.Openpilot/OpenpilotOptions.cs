namespace Meowstik.Agent.Openpilot;

/// <summary>The openpilot plugin's options, bound from <c>Meowstik:Openpilot</c> (<see cref="SectionName"/>).</summary>
public sealed class OpenpilotOptions
{
    /// <summary>The configuration section: <c>Meowstik:Openpilot</c>.</summary>
    public const string SectionName = "Meowstik:Openpilot";

    /// <summary>The folder of msgq's queue files. Default <c>/dev/shm</c> (tests point it at a temporary folder).</summary>
    public string MsgqRoot { get; set; } = "/dev/shm";

    /// <summary>openpilot's <c>OPENPILOT_PREFIX</c>; unset reads the environment variable (queues then live in <c>&lt;MsgqRoot&gt;/msgq_&lt;prefix&gt;/</c>).</summary>
    public string? Prefix { get; set; }

    /// <summary>The msgq header size: 0 infers it per file (384 bytes since mid-2024, 312 before), or 384 / 312.</summary>
    public int MsgqHeaderSize { get; set; }

    /// <summary>How often the msgq queues are polled for their newest message. Default 50 ms.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The services read. Default carState, selfdriveState, controlsState, driverMonitoringState, gpsLocationExternal, gpsLocation.</summary>
    public List<string> Services { get; set; } = [];

    /// <summary>A service silent for longer than this is unavailable in <c>openpilot.state</c>. Default 2 s.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The fastest <c>openpilot.subscribe</c> stream, in states per second. Default 5.</summary>
    public double StreamMaxRateHz { get; set; } = 5;

    /// <summary>How many requesters may subscribe at once. Default 8.</summary>
    public int MaxSubscribers { get; set; } = 8;
}

/// <summary>Checks <see cref="OpenpilotOptions"/> when the host starts; every problem is reported, each naming its key.</summary>
internal static class OpenpilotOptionsValidator
{
    public static IEnumerable<string> FindErrors(OpenpilotOptions options, string sectionPath)
    {
        var errors = new List<string>();
        string Key(string option) => $"{sectionPath}:{option}";
        if (string.IsNullOrWhiteSpace(options.MsgqRoot))
        {
            errors.Add($"{Key(nameof(OpenpilotOptions.MsgqRoot))} is empty: set msgq's folder, normally /dev/shm.");
        }

        if (options.Prefix is { } prefix && (prefix.Contains('/', StringComparison.Ordinal) || prefix.Contains("..", StringComparison.Ordinal)))
        {
            errors.Add($"{Key(nameof(OpenpilotOptions.Prefix))} '{prefix}' must be a plain name (no '/' or '..'), as openpilot's OPENPILOT_PREFIX.");
        }

        if (options.MsgqHeaderSize is not (0 or MsgqRingReader.HeaderSize15Readers or MsgqRingReader.HeaderSize12Readers))
        {
            errors.Add($"{Key(nameof(OpenpilotOptions.MsgqHeaderSize))} is {options.MsgqHeaderSize}: use 0 (infer), 384 or 312.");
        }

        if (options.PollInterval < TimeSpan.FromMilliseconds(1) || options.PollInterval > TimeSpan.FromSeconds(10))
        {
            errors.Add($"{Key(nameof(OpenpilotOptions.PollInterval))} is {options.PollInterval}: use 1 ms to 10 s.");
        }

        foreach (string service in options.Services)
        {
            if (string.IsNullOrWhiteSpace(service) || !service.All(char.IsAsciiLetterOrDigit))
            {
                errors.Add($"{Key(nameof(OpenpilotOptions.Services))} has '{service}': a service is an openpilot service name such as carState.");
            }
        }

        if (options.StaleAfter <= TimeSpan.Zero)
        {
            errors.Add($"{Key(nameof(OpenpilotOptions.StaleAfter))} must be positive.");
        }

        if (!double.IsFinite(options.StreamMaxRateHz) || options.StreamMaxRateHz <= 0 || options.StreamMaxRateHz > 100)
        {
            errors.Add($"{Key(nameof(OpenpilotOptions.StreamMaxRateHz))} is {options.StreamMaxRateHz}: use a rate above 0 and at most 100 Hz.");
        }

        if (options.MaxSubscribers < 1)
        {
            errors.Add($"{Key(nameof(OpenpilotOptions.MaxSubscribers))} is {options.MaxSubscribers}: allow at least 1.");
        }

        return errors;
    }
}
