using System.Globalization;

namespace Meowstik.Agent.Can;

/// <summary>Where <see cref="CanCapability"/> reads frames when no <see cref="ICanFrameSource"/> is registered.</summary>
public enum CanSourceKind
{
    /// <summary>A SocketCAN interface (<see cref="CanOptions.Interface"/>).</summary>
    SocketCan,

    /// <summary>A <c>candump -L</c> log (<see cref="CanOptions.ReplayFile"/>).</summary>
    Replay,
}

/// <summary>
/// The CAN plugin's options, bound from the <c>Meowstik:Can</c> section (<see cref="SectionName"/>) beside the agent's
/// <c>Meowstik:Agent</c>; every key is a property name. Checked when the host starts.
/// </summary>
public sealed class CanOptions
{
    /// <summary>The configuration section: <c>Meowstik:Can</c>.</summary>
    public const string SectionName = "Meowstik:Can";

    /// <summary>Where frames come from. Default <see cref="CanSourceKind.SocketCan"/>.</summary>
    public CanSourceKind Source { get; set; } = CanSourceKind.SocketCan;

    /// <summary>The SocketCAN interface. Default <c>can0</c>.</summary>
    public string Interface { get; set; } = "can0";

    /// <summary>The <c>candump -L</c> log replayed when <see cref="Source"/> is <see cref="CanSourceKind.Replay"/>.</summary>
    public string? ReplayFile { get; set; }

    /// <summary>Replay with the recorded gaps (true, the default) or as fast as possible.</summary>
    public bool ReplayAtRecordedSpeed { get; set; } = true;

    /// <summary>Start the replay again at the end of the log. Default false.</summary>
    public bool ReplayLoop { get; set; }

    /// <summary>A DBC file: frames are decoded into named signals, and <c>can.send</c> accepts signal values.</summary>
    public string? DbcFile { get; set; }

    /// <summary>Records every frame received to this <c>candump -L</c> file (appended). Default none.</summary>
    public string? RecordFile { get; set; }

    /// <summary>The bus bitrate, for the bus load in <c>can.stats</c>. Default 500000.</summary>
    public int Bitrate { get; set; } = 500_000;

    /// <summary>One id (candump notation: 3 hex digits standard, 8 extended) for the kernel to pass alone. Default none.</summary>
    public string? KernelFilter { get; set; }

    /// <summary>
    /// The ids <c>can.send</c> may put on the bus, in candump notation: <c>"123"</c> (3 hex digits) is standard id 0x123,
    /// <c>"00000123"</c> (8) is extended id 0x123, a different id. Empty (the default): sending is refused.
    /// </summary>
    public IList<string> SendAllowList { get; } = [];

    /// <summary>Frames per second <c>can.send</c> may send per allowed id, sustained. Default 10.</summary>
    public double SendRatePerSecond { get; set; } = 10;

    /// <summary>Frames <c>can.send</c> may send per id in a burst above the rate. Default 5.</summary>
    public int SendBurst { get; set; } = 5;

    /// <summary>Per-signal rate of <c>can.subscribe</c> streams when the request names none. Default 10 Hz.</summary>
    public double DefaultSignalRateHz { get; set; } = 10;

    /// <summary>The most a subscriber may ask for per signal (or per id, raw); larger requests are lowered. Default 100 Hz.</summary>
    public double MaxSignalRateHz { get; set; } = 100;

    /// <summary>Open subscriptions, all requesters together. Default 16.</summary>
    public int MaxSubscriptions { get; set; } = 16;

    /// <summary>Every invalid setting; each message starts with its key.</summary>
    /// <param name="sectionPath">The section the options came from.</param>
    /// <returns>The messages.</returns>
    internal IEnumerable<string> FindErrors(string sectionPath)
    {
        string Key(string name) => sectionPath.Length == 0 ? name : sectionPath + ":" + name;
        if (Source == CanSourceKind.Replay)
        {
            if (string.IsNullOrWhiteSpace(ReplayFile))
            {
                yield return $"{Key(nameof(ReplayFile))} is not set: with {Key(nameof(Source))} = Replay, set it to a candump -L log file.";
            }
            else if (!File.Exists(ReplayFile))
            {
                yield return $"{Key(nameof(ReplayFile))} '{ReplayFile}' does not exist.";
            }
        }
        else if (string.IsNullOrWhiteSpace(Interface))
        {
            yield return $"{Key(nameof(Interface))} is empty: set the SocketCAN interface, e.g. can0.";
        }

        if (DbcFile is not null && !File.Exists(DbcFile))
        {
            yield return $"{Key(nameof(DbcFile))} '{DbcFile}' does not exist.";
        }

        if (Bitrate is < 10_000 or > 1_000_000)
        {
            yield return $"{Key(nameof(Bitrate))} {Bitrate} is out of range: classic CAN runs at 10000-1000000 bit/s.";
        }

        if (KernelFilter is not null && !CanIds.TryParse(KernelFilter, out _, out _))
        {
            yield return $"{Key(nameof(KernelFilter))} '{KernelFilter}' is not a CAN id: 3 hex digits (standard, e.g. 123) or 8 (extended, e.g. 18FF50E5).";
        }

        for (int i = 0; i < SendAllowList.Count; i++)
        {
            if (!CanIds.TryParse(SendAllowList[i], out _, out _))
            {
                yield return $"{Key(nameof(SendAllowList))}:{i} '{SendAllowList[i]}' is not a CAN id: 3 hex digits (standard, e.g. 123) or 8 (extended, e.g. 18FF50E5).";
            }
        }

        if (!(SendRatePerSecond > 0) || !double.IsFinite(SendRatePerSecond))
        {
            yield return $"{Key(nameof(SendRatePerSecond))} {SendRatePerSecond.ToString(CultureInfo.InvariantCulture)} must be above 0.";
        }

        if (SendBurst < 1)
        {
            yield return $"{Key(nameof(SendBurst))} {SendBurst} must be at least 1.";
        }

        if (!(DefaultSignalRateHz > 0) || !(MaxSignalRateHz > 0) || !double.IsFinite(MaxSignalRateHz) || DefaultSignalRateHz > MaxSignalRateHz)
        {
            yield return $"{Key(nameof(DefaultSignalRateHz))} ({DefaultSignalRateHz.ToString(CultureInfo.InvariantCulture)}) and {Key(nameof(MaxSignalRateHz))} ({MaxSignalRateHz.ToString(CultureInfo.InvariantCulture)}) must be above 0, the default at most the maximum.";
        }

        if (MaxSubscriptions is < 1 or > 1024)
        {
            yield return $"{Key(nameof(MaxSubscriptions))} {MaxSubscriptions} is out of range (1-1024).";
        }
    }
}

/// <summary>CAN ids in candump notation.</summary>
internal static class CanIds
{
    /// <summary>3 hex digits: a standard id; 8: an extended one (an optional 0x prefix is allowed).</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out uint id, out bool extended)
    {
        text = text.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            text = text[2..];
        }

        extended = text.Length == 8;
        if ((text.Length != 3 && !extended) || !uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id))
        {
            id = 0;
            return false;
        }

        return extended ? id <= CanFrame.MaxExtendedId : id <= CanFrame.MaxStandardId;
    }

    public static string Format(uint id, bool extended) => extended ? id.ToString("X8", CultureInfo.InvariantCulture) : id.ToString("X3", CultureInfo.InvariantCulture);

    public static ulong Key(uint id, bool extended) => extended ? (1UL << 32) | id : id;
}
