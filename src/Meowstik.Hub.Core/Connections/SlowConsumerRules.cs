namespace Meowstik.Hub.Core;

/// <summary>Stable snake_case names of <see cref="SlowConsumerRule"/> values (metric tags, audit reasons, close reasons).</summary>
internal static class SlowConsumerRules
{
    public static string ToName(this SlowConsumerRule rule) => rule switch
    {
        SlowConsumerRule.WriteDeadline => "write_deadline",
        SlowConsumerRule.MaxPending => "max_pending",
        _ => "unknown",
    };
}
