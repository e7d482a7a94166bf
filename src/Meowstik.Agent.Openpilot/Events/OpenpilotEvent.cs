using System.Text;

namespace Meowstik.Agent.Openpilot;

/// <summary>
/// One openpilot <c>Event</c> (cereal <c>log.capnp</c>), read in place from its serialized bytes without allocating:
/// <see cref="LogMonoTime"/>, <see cref="Valid"/>, the union tag, and typed readers for the members this plugin uses.
/// Dispatch on <see cref="Kind"/>; a reader for another member returns <see cref="CapnpError.UnexpectedPointer"/>.
/// </summary>
/// <example>
/// <code>
/// if (OpenpilotEvent.TryRead(bytes, out OpenpilotEvent e) == CapnpError.None
///     &amp;&amp; e.Kind == OpenpilotEventKind.CarState
///     &amp;&amp; e.TryReadCarState(out CarStateReading car) == CapnpError.None)
/// {
///     Console.WriteLine(car.VEgo);
/// }
/// </code>
/// </example>
public readonly ref struct OpenpilotEvent
{
    // Layout facts: see the README (positions are stable across schema versions, which is Cap'n Proto's promise).
    private const int EventUnionTag = 4;        // u16 N=4 (byte 8)
    private const int EventValidBit = 80;       // default true
    private const int ControlsStateBit = 704;   // controlsState.enabledDEPRECATED (bit 704), activeDEPRECATED (bit 707)
    private const int ControlsStateActiveBit = 707;
    private const int ControlsStateStateU16 = 58; // stateDEPRECATED bits [928, 944)
    private const int ControlsStateText1 = 1;
    private const int ControlsStateText2 = 2;

    private readonly CapnpStruct _root;
    private readonly CapnpStruct _member;

    private OpenpilotEvent(CapnpStruct root, CapnpStruct member, ushort tag)
    {
        _root = root;
        _member = member;
        UnionTag = tag;
    }

    /// <summary>The raw union tag.</summary>
    public ushort UnionTag { get; }

    /// <summary>The member, when this reader knows it.</summary>
    public OpenpilotEventKind Kind => UnionTag switch
    {
        6 => OpenpilotEventKind.ControlsState,
        20 => OpenpilotEventKind.GpsLocation,
        21 => OpenpilotEventKind.CarState,
        47 => OpenpilotEventKind.GpsLocationExternal,
        69 => OpenpilotEventKind.DriverMonitoringStateLegacy,
        128 => OpenpilotEventKind.SelfdriveState,
        149 => OpenpilotEventKind.DriverMonitoringState,
        _ => OpenpilotEventKind.Unknown,
    };

    /// <summary>logMonoTime, nanoseconds of the device's monotonic clock.</summary>
    public ulong LogMonoTime => _root.ReadUInt64(0);

    /// <summary>valid: false when the publisher's inputs were not valid (default true).</summary>
    public bool Valid => _root.ReadBool(EventValidBit, defaultValue: true);

    /// <summary>Reads the framing, the root <c>Event</c> and its union member's pointer.</summary>
    /// <param name="message">One serialized Event (framed, unpacked), as msgq and the bridge carry it.</param>
    /// <param name="value">The event, when the result is <see cref="CapnpError.None"/>.</param>
    /// <returns><see cref="CapnpError.None"/>, or why the message is invalid.</returns>
    public static CapnpError TryRead(ReadOnlySpan<byte> message, out OpenpilotEvent value)
    {
        value = default;
        CapnpError error = CapnpMessage.TryRead(message, out CapnpMessage m);
        if (error != CapnpError.None || (error = m.TryGetRoot(out CapnpStruct root)) != CapnpError.None)
        {
            return error;
        }

        ushort tag = root.ReadUInt16(EventUnionTag);
        CapnpStruct member = default;
        if (tag is 6 or 20 or 21 or 47 or 69 or 128 or 149 && (error = root.TryGetStruct(0, out member)) != CapnpError.None)
        {
            return error;
        }

        value = new OpenpilotEvent(root, member, tag);
        return CapnpError.None;
    }

    /// <summary>Reads <c>carState</c>: vEgo (f32 N=0) and cruiseState (pointer 2: enabled bit 0, available bit 1, speed f32 N=1).</summary>
    /// <param name="value">The reading.</param>
    /// <returns><see cref="CapnpError.None"/>, <see cref="CapnpError.UnexpectedPointer"/> for another member, or a pointer error.</returns>
    public CapnpError TryReadCarState(out CarStateReading value)
    {
        value = default;
        if (Kind != OpenpilotEventKind.CarState)
        {
            return CapnpError.UnexpectedPointer;
        }

        CapnpError error = _member.TryGetStruct(2, out CapnpStruct cruise);
        if (error != CapnpError.None)
        {
            return error;
        }

        value = new CarStateReading(_member.ReadSingle(0), cruise.ReadBool(0), cruise.ReadBool(1), cruise.ReadSingle(1));
        return CapnpError.None;
    }

    /// <summary>Reads <c>gpsLocationExternal</c> or <c>gpsLocation</c> (<c>GpsLocationData</c>).</summary>
    /// <param name="value">The reading.</param>
    /// <returns><see cref="CapnpError.None"/>, or <see cref="CapnpError.UnexpectedPointer"/> for another member.</returns>
    public CapnpError TryReadGpsLocation(out GpsLocationReading value)
    {
        value = default;
        if (Kind is not (OpenpilotEventKind.GpsLocationExternal or OpenpilotEventKind.GpsLocation))
        {
            return CapnpError.UnexpectedPointer;
        }

        CapnpStruct g = _member;
        value = new GpsLocationReading(g.ReadDouble(1), g.ReadDouble(2), g.ReadSingle(1), g.ReadSingle(8), g.ReadSingle(9), (long)g.ReadUInt64(5), g.ReadBool(480));
        return CapnpError.None;
    }

    /// <summary>
    /// Reads <c>driverMonitoringState</c> in either layout: old (tag 69: faceDetected bit 0, isDistracted bit 1,
    /// awarenessStatus f32 N=1) or v2 (tag 149: alertLevel u16 N=2, alwaysOnLockout bit 2, visionPolicyState = pointer 1 →
    /// awarenessPercent i8 N=0, isDistracted bit 8, faceDetected bit 9).
    /// </summary>
    /// <param name="value">The reading.</param>
    /// <returns><see cref="CapnpError.None"/>, <see cref="CapnpError.UnexpectedPointer"/> for another member, or a pointer error.</returns>
    public CapnpError TryReadDriverMonitoring(out DriverMonitoringReading value)
    {
        value = default;
        if (Kind == OpenpilotEventKind.DriverMonitoringStateLegacy)
        {
            value = new DriverMonitoringReading(true, _member.ReadBool(0), _member.ReadBool(1), _member.ReadSingle(1), DriverAlertLevel.None, false);
            return CapnpError.None;
        }

        if (Kind != OpenpilotEventKind.DriverMonitoringState)
        {
            return CapnpError.UnexpectedPointer;
        }

        CapnpError error = _member.TryGetStruct(1, out CapnpStruct vision);
        if (error != CapnpError.None)
        {
            return error;
        }

        ushort level = _member.ReadUInt16(2);
        value = new DriverMonitoringReading(
            false, vision.ReadBool(9), vision.ReadBool(8), (sbyte)vision.ReadByte(0) / 100f,
            level <= 3 ? (DriverAlertLevel)level : DriverAlertLevel.Three, _member.ReadBool(2));
        return CapnpError.None;
    }

    /// <summary>
    /// Reads <c>selfdriveState</c> (state u16 N=0, enabled bit 16, active bit 17, alertText1/2 = text pointers 0/1) or, for
    /// builds before it existed, <c>controlsState</c> (state u16 N=58, enabled bit 704, active bit 707, alertText1/2 = text
    /// pointers 1/2; positions from <c>capnp compile -ocapnp</c> of openpilot's <c>ControlsState</c>).
    /// </summary>
    /// <param name="state">The engagement state.</param>
    /// <param name="enabled">enabled: openpilot is engaged.</param>
    /// <param name="active">active: openpilot is actuating (not overridden).</param>
    /// <param name="alertText1">alertText1's UTF-8 bytes (inside the message; empty when none).</param>
    /// <param name="alertText2">alertText2's UTF-8 bytes.</param>
    /// <returns><see cref="CapnpError.None"/>, <see cref="CapnpError.UnexpectedPointer"/> for another member, or a pointer error.</returns>
    public CapnpError TryReadSelfdrive(out OpenpilotControlState state, out bool enabled, out bool active, out ReadOnlySpan<byte> alertText1, out ReadOnlySpan<byte> alertText2)
    {
        state = default;
        enabled = active = false;
        alertText1 = alertText2 = default;
        bool controls = Kind == OpenpilotEventKind.ControlsState;
        if (!controls && Kind != OpenpilotEventKind.SelfdriveState)
        {
            return CapnpError.UnexpectedPointer;
        }

        CapnpError error = _member.TryGetText(controls ? ControlsStateText1 : 0, out alertText1);
        if (error != CapnpError.None || (error = _member.TryGetText(controls ? ControlsStateText2 : 1, out alertText2)) != CapnpError.None)
        {
            return error;
        }

        ushort raw = _member.ReadUInt16(controls ? ControlsStateStateU16 : 0);
        state = raw <= 4 ? (OpenpilotControlState)raw : OpenpilotControlState.Disabled;
        enabled = _member.ReadBool(controls ? ControlsStateBit : 16);
        active = _member.ReadBool(controls ? ControlsStateActiveBit : 17);
        return CapnpError.None;
    }

    /// <summary>The lower-camel name openpilot uses for a state (<c>enabled</c>, <c>softDisabling</c>).</summary>
    /// <param name="state">The state.</param>
    /// <returns>The name.</returns>
    public static string StateName(OpenpilotControlState state) => state switch
    {
        OpenpilotControlState.PreEnabled => "preEnabled",
        OpenpilotControlState.Enabled => "enabled",
        OpenpilotControlState.SoftDisabling => "softDisabling",
        OpenpilotControlState.Overriding => "overriding",
        _ => "disabled",
    };

    /// <summary>The lower-case name openpilot uses for an alert level (<c>none</c>, <c>two</c>).</summary>
    /// <param name="level">The level.</param>
    /// <returns>The name.</returns>
    public static string AlertLevelName(DriverAlertLevel level) => level switch
    {
        DriverAlertLevel.One => "one",
        DriverAlertLevel.Two => "two",
        DriverAlertLevel.Three => "three",
        _ => "none",
    };

    internal static string? Text(ReadOnlySpan<byte> utf8) => utf8.IsEmpty ? null : Encoding.UTF8.GetString(utf8);
}
