using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>
/// The <c>register</c> payload: <c>device_type</c>, <c>device_name</c>, <c>capabilities</c> (required string array),
/// <c>auth_token</c>, <c>features</c> (protocol extensions the device supports, e.g. <c>binary_streams</c>), and the
/// action manifest: <c>queries</c> (read-only actions) and <c>commands</c> (state-changing actions).
/// </summary>
/// <remarks>
/// The manifest is what lets a hub refuse a <c>query</c> that names a state-changing action: a <c>query</c> may only name
/// an action listed in <c>queries</c>; a <c>command</c> may name either. A device that sends neither array is legacy
/// (<see cref="DeclaresActionKinds"/> is false) and its actions are not classified.
/// </remarks>
public readonly ref struct RegisterPayload
{
    /// <summary>The feature name announcing support for binary stream frames.</summary>
    public static ReadOnlySpan<byte> BinaryStreamsFeature => "binary_streams"u8;

    /// <summary><c>device_type</c>, e.g. <c>vehicle</c>.</summary>
    public Utf8JsonSlice DeviceType { get; init; }

    /// <summary><c>device_name</c>, e.g. <c>Jason's Comma 3X</c>.</summary>
    public Utf8JsonSlice DeviceName { get; init; }

    /// <summary><c>capabilities</c>: capability names.</summary>
    public Utf8StringArray Capabilities { get; init; }

    /// <summary><c>auth_token</c>, when the token is sent in the payload.</summary>
    public Utf8JsonSlice AuthToken { get; init; }

    /// <summary><c>features</c>: announced protocol extensions.</summary>
    public Utf8StringArray Features { get; init; }

    /// <summary><c>queries</c>: read-only actions the device answers; absent for a legacy device.</summary>
    public Utf8StringArray Queries { get; init; }

    /// <summary><c>commands</c>: state-changing actions the device executes; absent for a legacy device.</summary>
    public Utf8StringArray Commands { get; init; }

    /// <summary>
    /// <c>actions</c>: each capability with the actions it handles, an object of string arrays
    /// (<c>{"can":["can.send","can.subscribe"],"car":["status"]}</c>); absent for a device that does not say
    /// (<see cref="Utf8JsonSlice.IsPresent"/> is false). Read it with <see cref="GetActions"/>.
    /// </summary>
    public Utf8JsonSlice Actions { get; init; }

    /// <summary>Copies <see cref="Actions"/> into a dictionary (capability name to its actions, in wire order); null when absent. Allocates.</summary>
    /// <returns>The per-capability actions, or null.</returns>
    public Dictionary<string, string[]>? GetActions()
    {
        if (Actions.TokenType != JsonTokenType.StartObject) return null;
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        Utf8JsonReader reader = Actions.CreateReader();
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            var actions = new List<string>();
            while (reader.Read() && reader.TokenType == JsonTokenType.String) actions.Add(reader.GetString()!);
            result[name] = [.. actions];
        }
        return result;
    }

    /// <summary>True when the device sent <c>queries</c> or <c>commands</c> (even empty); false for a legacy device.</summary>
    public bool DeclaresActionKinds => Queries.IsPresent || Commands.IsPresent;

    /// <summary>
    /// May a <c>query</c> name <paramref name="action"/>? True for a legacy device (nothing declared) or an action listed in
    /// <c>queries</c>; false otherwise, including for an action declared only as a command.
    /// </summary>
    public bool AllowsQuery(ReadOnlySpan<byte> action) => !DeclaresActionKinds || Queries.Contains(action);

    /// <summary>Writes a register payload. Empty spans are omitted, and so are null arrays.</summary>
    public static void Write(
        Utf8JsonWriter writer,
        ReadOnlySpan<byte> deviceType,
        ReadOnlySpan<byte> deviceName,
        IEnumerable<string> capabilities,
        ReadOnlySpan<byte> authToken = default,
        IEnumerable<string>? features = null,
        IEnumerable<string>? queries = null,
        IEnumerable<string>? commands = null) =>
        WriteCore(writer, deviceType, deviceName, capabilities, authToken, features, queries, commands, null);

    private static void WriteCore(
        Utf8JsonWriter writer,
        ReadOnlySpan<byte> deviceType,
        ReadOnlySpan<byte> deviceName,
        IEnumerable<string> capabilities,
        ReadOnlySpan<byte> authToken,
        IEnumerable<string>? features,
        IEnumerable<string>? queries,
        IEnumerable<string>? commands,
        IEnumerable<KeyValuePair<string, IReadOnlyList<string>>>? actions)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(capabilities);
        writer.WriteStartObject();
        if (!deviceType.IsEmpty) writer.WriteString("device_type"u8, deviceType);
        if (!deviceName.IsEmpty) writer.WriteString("device_name"u8, deviceName);
        writer.WriteStartArray("capabilities"u8);
        foreach (string capability in capabilities) writer.WriteStringValue(capability);
        writer.WriteEndArray();
        if (!authToken.IsEmpty) writer.WriteString("auth_token"u8, authToken);
        if (features is not null)
        {
            writer.WriteStartArray("features"u8);
            foreach (string feature in features) writer.WriteStringValue(feature);
            writer.WriteEndArray();
        }
        WriteArray(writer, "queries"u8, queries);
        WriteArray(writer, "commands"u8, commands);
        if (actions is not null)
        {
            writer.WriteStartObject("actions"u8);
            foreach (KeyValuePair<string, IReadOnlyList<string>> capability in actions) WriteArray(writer, capability.Key, capability.Value);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    /// <summary>Writes a register payload with the per-capability <c>actions</c> object (omitted when null). Empty spans and null arrays are omitted.</summary>
    /// <param name="writer">The writer, positioned where the payload value goes.</param>
    /// <param name="deviceType"><c>device_type</c>.</param>
    /// <param name="deviceName"><c>device_name</c>.</param>
    /// <param name="capabilities"><c>capabilities</c>.</param>
    /// <param name="authToken"><c>auth_token</c>.</param>
    /// <param name="features"><c>features</c>.</param>
    /// <param name="queries"><c>queries</c>.</param>
    /// <param name="commands"><c>commands</c>.</param>
    /// <param name="actions"><c>actions</c>: capability name to the actions it handles.</param>
    public static void Write(
        Utf8JsonWriter writer,
        ReadOnlySpan<byte> deviceType,
        ReadOnlySpan<byte> deviceName,
        IEnumerable<string> capabilities,
        ReadOnlySpan<byte> authToken,
        IEnumerable<string>? features,
        IEnumerable<string>? queries,
        IEnumerable<string>? commands,
        IEnumerable<KeyValuePair<string, IReadOnlyList<string>>>? actions)
    {
        WriteCore(writer, deviceType, deviceName, capabilities, authToken, features, queries, commands, actions);
    }

    /// <summary>
    /// Reads a register payload; <c>capabilities</c> is required and must be an array of strings, as must <c>features</c>,
    /// <c>queries</c> and <c>commands</c> when present; <c>actions</c>, when present, must be an object of string arrays. A
    /// repeated <c>queries</c>, <c>commands</c> or <c>actions</c> is <c>duplicate_field</c>,
    /// so every reader sees one manifest.
    /// </summary>
    public static bool TryRead(Utf8JsonSlice payload, out RegisterPayload value, out ProtocolError error)
    {
        value = default;
        if (!PayloadReading.Begin(payload, out Utf8JsonReader reader, out error)) return false;
        Utf8JsonSlice type = default, name = default, token = default, capabilities = default, features = default;
        Utf8JsonSlice queries = default, commands = default, actions = default;
        while (PayloadReading.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("device_type"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out type)) return PayloadReading.Invalid(ref reader, "payload.device_type", out error);
            }
            else if (reader.ValueTextEquals("device_name"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out name)) return PayloadReading.Invalid(ref reader, "payload.device_name", out error);
            }
            else if (reader.ValueTextEquals("auth_token"u8))
            {
                reader.Read();
                if (!PayloadReading.String(payload, ref reader, out token)) return PayloadReading.Invalid(ref reader, "payload.auth_token", out error);
            }
            else if (reader.ValueTextEquals("capabilities"u8))
            {
                reader.Read();
                if (!PayloadReading.StringArray(payload, ref reader, out capabilities)) return PayloadReading.Invalid(ref reader, "payload.capabilities", out error);
            }
            else if (reader.ValueTextEquals("features"u8))
            {
                reader.Read();
                if (!PayloadReading.StringArray(payload, ref reader, out features)) return PayloadReading.Invalid(ref reader, "payload.features", out error);
            }
            else if (reader.ValueTextEquals("queries"u8))
            {
                if (queries.IsPresent) return PayloadReading.Duplicate(ref reader, "payload.queries", out error);
                reader.Read();
                if (!PayloadReading.StringArray(payload, ref reader, out queries)) return PayloadReading.Invalid(ref reader, "payload.queries", out error);
            }
            else if (reader.ValueTextEquals("commands"u8))
            {
                if (commands.IsPresent) return PayloadReading.Duplicate(ref reader, "payload.commands", out error);
                reader.Read();
                if (!PayloadReading.StringArray(payload, ref reader, out commands)) return PayloadReading.Invalid(ref reader, "payload.commands", out error);
            }
            else if (reader.ValueTextEquals("actions"u8))
            {
                if (actions.IsPresent) return PayloadReading.Duplicate(ref reader, "payload.actions", out error);
                reader.Read();
                if (!ActionsObject(payload, ref reader, out actions)) return PayloadReading.Invalid(ref reader, "payload.actions", out error);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        if (!capabilities.IsPresent) return PayloadReading.Missing("payload.capabilities", out error);
        value = new RegisterPayload
        {
            DeviceType = type,
            DeviceName = name,
            AuthToken = token,
            Capabilities = new Utf8StringArray(capabilities),
            Features = new Utf8StringArray(features),
            Queries = new Utf8StringArray(queries),
            Commands = new Utf8StringArray(commands),
            Actions = actions,
        };
        return true;
    }

    private static void WriteArray(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IEnumerable<string>? items)
    {
        if (items is null) return;
        writer.WriteStartArray(name);
        foreach (string item in items) writer.WriteStringValue(item);
        writer.WriteEndArray();
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, IEnumerable<string> items)
    {
        writer.WriteStartArray(name);
        foreach (string item in items) writer.WriteStringValue(item);
        writer.WriteEndArray();
    }

    // An object whose values are all arrays of strings.
    private static bool ActionsObject(Utf8JsonSlice payload, scoped ref Utf8JsonReader reader, out Utf8JsonSlice value)
    {
        value = default;
        if (reader.TokenType != JsonTokenType.StartObject) return false;
        Utf8JsonReader probe = reader;
        while (probe.Read() && probe.TokenType == JsonTokenType.PropertyName)
        {
            if (!probe.Read() || probe.TokenType != JsonTokenType.StartArray) return false;
            while (probe.Read() && probe.TokenType != JsonTokenType.EndArray)
            {
                if (probe.TokenType != JsonTokenType.String) return false;
            }
        }
        value = payload.SliceCurrent(ref reader);
        return true;
    }
}
