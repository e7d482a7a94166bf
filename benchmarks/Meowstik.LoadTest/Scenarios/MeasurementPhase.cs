namespace Meowstik.LoadTest.Scenarios;

/// <summary>Whether receipts are counted now: false during warm-up and drain, true during the measured interval.</summary>
internal sealed class MeasurementPhase
{
    private volatile bool _active;

    public bool Active => _active;

    public void Start() => _active = true;

    public void Stop() => _active = false;
}
