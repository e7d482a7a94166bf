namespace Meowstik.Hub.Core;

/// <summary>What a device announced when it registered.</summary>
/// <param name="DeviceId">The device id (from its token, or chosen by a creator/family client).</param>
/// <param name="DeviceType">The announced <c>device_type</c>, e.g. <c>vehicle</c>; null when absent.</param>
/// <param name="DeviceName">The announced <c>device_name</c>; null when absent.</param>
/// <param name="Capabilities">The announced capabilities.</param>
/// <param name="Features">The announced protocol features (e.g. <c>binary_streams</c>).</param>
/// <param name="PathKind">The endpoint it connected on.</param>
/// <param name="Role">The role of the token it authenticated with (<c>creator</c>, <c>family</c>, <c>device</c>, <c>guest</c>).</param>
public sealed record DeviceRegistration(
    string DeviceId,
    string? DeviceType,
    string? DeviceName,
    IReadOnlyList<string> Capabilities,
    IReadOnlyList<string> Features,
    MeshPathKind PathKind,
    string Role)
{
    /// <summary>
    /// The read-only actions the device declared (<c>queries</c>), or null when it declared no action kinds (a legacy device).
    /// When declared, the hub refuses a <c>query</c> naming any other action.
    /// </summary>
    public IReadOnlyList<string>? Queries { get; init; }

    /// <summary>The state-changing actions the device declared (<c>commands</c>), or null when it declared no action kinds.</summary>
    public IReadOnlyList<string>? Commands { get; init; }

    /// <summary>
    /// Each capability with the actions it handles (the <c>register</c> payload's <c>actions</c>), or null when the device
    /// did not send it (an older agent). <c>get_capabilities</c> shows it to controllers.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Actions { get; init; }

    /// <summary>True when the device declared which of its actions are queries and which are commands.</summary>
    public bool DeclaresActionKinds => Queries is not null || Commands is not null;

    /// <summary>Whether a <c>query</c> may name <paramref name="action"/>: any action of a legacy device, else only a declared query.</summary>
    public bool AllowsQuery(ReadOnlySpan<char> action)
    {
        if (Queries is null) return Commands is null;
        foreach (string query in Queries)
        {
            if (action.SequenceEqual(query)) return true;
        }
        return false;
    }
}
