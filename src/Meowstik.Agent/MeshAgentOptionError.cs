namespace Meowstik.Agent;

/// <summary>One invalid setting found by <see cref="MeshAgentOptions.FindErrors"/>.</summary>
/// <param name="Option">The option's property name (the <see cref="ArgumentException.ParamName"/> of <see cref="ToException"/>).</param>
/// <param name="Message">What is wrong, starting with the configuration key to fix.</param>
/// <param name="Value">The offending value, for range errors.</param>
/// <param name="OutOfRange">Whether the value is out of range (rather than missing or malformed).</param>
internal sealed record MeshAgentOptionError(string Option, string Message, object? Value = null, bool OutOfRange = false)
{
    public ArgumentException ToException() => OutOfRange
        ? new ArgumentOutOfRangeException(Option, Value, Message)
        : new ArgumentException(Message, Option);
}
