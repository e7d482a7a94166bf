using System.Text.Json;

namespace Meowstik.Protocol;

/// <summary>The <c>heartbeat</c> payload: <c>uptime_seconds</c>, <c>memory_mb</c>, <c>cpu_percent</c>.</summary>
public readonly record struct HeartbeatPayload(long UptimeSeconds, double MemoryMb, double CpuPercent)
{
    /// <summary>Writes the payload object.</summary>
    public static void Write(Utf8JsonWriter writer, in HeartbeatPayload value)
    {
        writer.WriteStartObject();
        writer.WriteNumber("uptime_seconds"u8, value.UptimeSeconds);
        WriteFigure(writer, "memory_mb"u8, Math.Round(value.MemoryMb, 1));
        WriteFigure(writer, "cpu_percent"u8, Math.Round(value.CpuPercent, 1));
        writer.WriteEndObject();
    }

    // Whole figures are written as integers: the same text, without the cost of formatting a double.
    private static void WriteFigure(Utf8JsonWriter writer, ReadOnlySpan<byte> name, double value)
    {
        if (value >= 0 && value < 1e15 && value == Math.Floor(value)) writer.WriteNumber(name, (long)value);
        else writer.WriteNumber(name, value);
    }

    /// <summary>Reads the payload; absent figures read as 0 (a bare heartbeat is a valid keep-alive).</summary>
    public static bool TryRead(Utf8JsonSlice payload, out HeartbeatPayload value, out ProtocolError error)
    {
        value = default;
        if (!payload.IsPresent)
        {
            error = default;
            return true;
        }
        if (TryReadFast(payload, out value))
        {
            error = default;
            return true;
        }
        return TryReadWithReader(payload, out value, out error);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // cold: keep its frame out of TryRead
    private static bool TryReadWithReader(Utf8JsonSlice payload, out HeartbeatPayload value, out ProtocolError error)
    {
        value = default;
        if (!PayloadReading.Begin(payload, out Utf8JsonReader reader, out error)) return false;
        long uptime = 0;
        double memory = 0, cpu = 0;
        while (PayloadReading.NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("uptime_seconds"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out double u) || u < 0) return PayloadReading.Invalid(ref reader, "payload.uptime_seconds", out error);
                uptime = (long)u;
            }
            else if (reader.ValueTextEquals("memory_mb"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out memory) || memory < 0) return PayloadReading.Invalid(ref reader, "payload.memory_mb", out error);
            }
            else if (reader.ValueTextEquals("cpu_percent"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out cpu) || cpu < 0) return PayloadReading.Invalid(ref reader, "payload.cpu_percent", out error);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        value = new HeartbeatPayload(uptime, memory, cpu);
        return true;
    }

    // The scanner path: succeeds exactly when the reader path would, else leaves the case (and its error) to it.
    private static bool TryReadFast(Utf8JsonSlice payload, out HeartbeatPayload value)
    {
        value = default;
        if (!FastMembers.TryCreate(payload, out FastMembers members)) return false;
        long uptime = 0;
        double memory = 0, cpu = 0;
        int next;
        while ((next = members.Next()) == 1)
        {
            ReadOnlySpan<byte> name = members.Name;
            if (name.SequenceEqual("uptime_seconds"u8))
            {
                if (!members.TryGetDouble(out double u) || u < 0) return false;
                uptime = (long)u;
            }
            else if (name.SequenceEqual("memory_mb"u8))
            {
                if (!members.TryGetDouble(out memory) || memory < 0) return false;
            }
            else if (name.SequenceEqual("cpu_percent"u8))
            {
                if (!members.TryGetDouble(out cpu) || cpu < 0) return false;
            }
        }
        if (next < 0) return false;
        value = new HeartbeatPayload(uptime, memory, cpu);
        return true;
    }
}
