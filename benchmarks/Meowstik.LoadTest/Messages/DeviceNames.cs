using System.Globalization;

namespace Meowstik.LoadTest.Messages;

/// <summary>The client ids every scenario uses, identical on the three systems (device ids on the hub, subjects/topics on the brokers).</summary>
internal static class DeviceNames
{
    public const string BroadcastSender = "bc-sender";

    public static string PairSender(int pair) => "p2p-s-" + pair.ToString("D3", CultureInfo.InvariantCulture);

    public static string PairReceiver(int pair) => "p2p-r-" + pair.ToString("D3", CultureInfo.InvariantCulture);

    public static string BroadcastReceiver(int index) => "bc-r-" + index.ToString("D3", CultureInfo.InvariantCulture);

    public static string Idle(int index) => "idle-" + index.ToString("D5", CultureInfo.InvariantCulture);

    public static string Agent(int index) => "agent-" + index.ToString("D4", CultureInfo.InvariantCulture);
}
