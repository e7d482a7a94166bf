using System.Text.Json;

namespace Meowstik.Protocol.Payloads;

/// <summary>
/// The <c>register</c> payload: <c>device_type</c>, <c>device_name</c>, <c>capabilities</c> (required string array),
/// <c>auth_token</c>, and <c>features</c> (protocol extensions the device supports, e.g. <c>binary_streams</c>).
/// </summary>
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

    /// <summary>Writes a register payload. Empty spans are omitted.</summary>
    public static void Write(
        Utf8JsonWriter writer,
        ReadOnlySpan<byte> deviceType,
        ReadOnlySpan<byte> deviceName,
        IEnumerable<string> capabilities,
        ReadOnlySpan<byte> authToken = default,
        IEnumerable<string>? features = null)
    {
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
        writer.WriteEndObject();
    }

    /// <summary>Reads a register payload; <c>capabilities</c> is required and must be an array of strings.</summary>
    public static bool TryRead(Utf8JsonSlice payload, out RegisterPayload value, out ProtocolError error)
    {
        value = default;
        if (!PayloadReading.Begin(payload, out Utf8JsonReader reader, out error)) return false;
        Utf8JsonSlice type = default, name = default, token = default, capabilities = default, features = default;
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
                if (!StringArray(payload, ref reader, out capabilities)) return PayloadReading.Invalid(ref reader, "payload.capabilities", out error);
            }
            else if (reader.ValueTextEquals("features"u8))
            {
                reader.Read();
                if (!StringArray(payload, ref reader, out features)) return PayloadReading.Invalid(ref reader, "payload.features", out error);
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
        };
        return true;
    }

    // An array whose elements are all strings.
    private static bool StringArray(Utf8JsonSlice payload, scoped ref Utf8JsonReader reader, out Utf8JsonSlice array)
    {
        array = default;
        if (reader.TokenType != JsonTokenType.StartArray) return false;
        Utf8JsonReader probe = reader;
        while (probe.Read() && probe.TokenType != JsonTokenType.EndArray)
        {
            if (probe.TokenType != JsonTokenType.String) return false;
        }
        array = payload.SliceCurrent(ref reader);
        return true;
    }
}
