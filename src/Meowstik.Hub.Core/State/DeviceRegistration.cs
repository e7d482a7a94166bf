namespace Meowstik.Hub.State;

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
    string Role);
