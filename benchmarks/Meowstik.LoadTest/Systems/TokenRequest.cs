namespace Meowstik.LoadTest.Systems;

/// <summary>A device token the hub child issues: bound to <paramref name="DeviceId"/>, allowed to command (and observe) <paramref name="Grants"/>.</summary>
internal sealed record TokenRequest(string DeviceId, IReadOnlyList<string> Grants);
