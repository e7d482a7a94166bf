namespace Meowstik.Agent.Openpilot;

/// <summary><c>carState</c>: the speed and the cruise state.</summary>
/// <param name="VEgo">vEgo, m/s.</param>
/// <param name="CruiseEnabled">cruiseState.enabled.</param>
/// <param name="CruiseAvailable">cruiseState.available.</param>
/// <param name="CruiseSpeed">cruiseState.speed, m/s.</param>
public readonly record struct CarStateReading(float VEgo, bool CruiseEnabled, bool CruiseAvailable, float CruiseSpeed);
