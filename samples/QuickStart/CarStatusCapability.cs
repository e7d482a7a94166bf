using Meowstik.Agent;

namespace QuickStart;

/// <summary>A simulated Comma 3X answering <c>status</c> in the design document's shape.</summary>
internal sealed class CarStatusCapability : MeshCapability
{
    public CarStatusCapability()
        : base("status")
    {
        HandleQuery("status", _ => CommandResult.Ok(w =>
        {
            w.WriteStartObject("gps");
            w.WriteNumber("lat", 47.1234);
            w.WriteNumber("lng", -122.5678);
            w.WriteEndObject();
            w.WriteNumber("speed_mph", 65);
            w.WriteNumber("eta_minutes", 12);
            w.WriteString("destination", "Ocean Shores Tech");
            w.WriteBoolean("engaged", true);
            w.WriteString("driver_attention", "alert");
        }));
    }
}
