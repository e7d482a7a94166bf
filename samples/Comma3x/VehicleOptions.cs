namespace Meowstik.Samples.Comma3x;

/// <summary>The vehicle's own settings: section <c>Comma3x</c>.</summary>
public sealed class VehicleOptions
{
    /// <summary>The section name.</summary>
    public const string SectionName = "Comma3x";

    /// <summary>Set from <c>Mesh:Simulation</c>.</summary>
    public bool Simulation { get; set; } = true;

    /// <summary>The DBC signal holding the vehicle speed (km/h, m/s or mph by its unit).</summary>
    public string SpeedSignal { get; set; } = "SPEED_KPH";

    /// <summary>The DBC signal that is 1 while the cruise/driver assistance is engaged (empty: never engaged).</summary>
    public string? EngagedSignal { get; set; } = "CRUISE_ENGAGED";

    /// <summary>An older signal value is not a speed.</summary>
    public TimeSpan SignalStaleAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The destination before any <c>navigate</c>.</summary>
    public string? Destination { get; set; }

    /// <summary>Named places <c>navigate</c> accepts without coordinates: name → <c>"lat,lng"</c>.</summary>
    public IDictionary<string, string> Places { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether the camera configured under <c>Meowstik:Camera</c> is also advertised as <c>driver_camera</c>.</summary>
    public bool DriverCamera { get; set; }

    /// <summary>Vehicle control: refused unless enabled, and only within the limits.</summary>
    public VehicleControlOptions Control { get; set; } = new();
}
