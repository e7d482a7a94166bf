namespace Meowstik.Hub.Core;

/// <summary>A snapshot of what the hub knows about one device.</summary>
public sealed record DeviceState
{
    /// <summary>The registration (type, name, capabilities…).</summary>
    public required DeviceRegistration Registration { get; init; }

    /// <summary>The device id.</summary>
    public string DeviceId => Registration.DeviceId;

    /// <summary>True while the device is connected.</summary>
    public required bool IsOnline { get; init; }

    /// <summary>When it last went online or offline (whichever <see cref="IsOnline"/> says).</summary>
    public required DateTimeOffset Since { get; init; }

    /// <summary>The last heartbeat payload, when one was received.</summary>
    public StateValue? LastHeartbeat { get; init; }

    /// <summary>The last response payload per action (<c>status</c>, <c>screenshot</c>…).</summary>
    public IReadOnlyDictionary<string, StateValue> LastResponses { get; init; } = new Dictionary<string, StateValue>();

    /// <summary>The last event payload per event name.</summary>
    public IReadOnlyDictionary<string, StateValue> LastEvents { get; init; } = new Dictionary<string, StateValue>();
}
