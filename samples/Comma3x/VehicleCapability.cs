using System.Globalization;
using System.Text.Json;
using Meowstik.Agent;
using Meowstik.Agent.Can;
using Meowstik.Agent.Camera;
using Meowstik.Agent.Gps;

namespace Meowstik.Samples.Comma3x;

/// <summary>
/// The document's vehicle actions: the query <c>status</c> (its exact shape), the commands <c>navigate</c> and
/// <c>record_moment</c>, and the control commands <c>vehicle.set_cruise_speed</c> / <c>vehicle.cancel_cruise</c>, refused
/// unless <c>Comma3x:Control:Enabled</c> and within the configured limits.
/// </summary>
public sealed class VehicleCapability : MeshCapability
{
    /// <summary>The event <c>record_moment</c> publishes.</summary>
    public const string MomentEvent = "moment_recorded";

    private readonly IVehicleStatusSource _status;
    private readonly VehicleOptions _options;
    private readonly CanCapability? _can;
    private readonly CameraCapability? _camera;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Destination? _destination;
    private long _moments;

    /// <summary>Creates the capability.</summary>
    public VehicleCapability(IVehicleStatusSource status, VehicleOptions options, CanCapability? can = null, CameraCapability? camera = null, TimeProvider? time = null)
        : base("vehicle")
    {
        _status = status;
        _options = options;
        _can = can;
        _camera = camera;
        _time = time ?? TimeProvider.System;
        if (options.Destination is { Length: > 0 } d && TryPlace(d, out double lat, out double lng))
        {
            _destination = new Destination(d, lat, lng);
        }

        HandleQuery("status", _ => Status());
        Handle("navigate", Navigate);
        Handle("record_moment", RecordMomentAsync);
        Handle("vehicle.set_cruise_speed", SetCruiseSpeedAsync);
        Handle("vehicle.cancel_cruise", CancelCruiseAsync);
    }

    private CommandResult Status()
    {
        VehicleSnapshot s = _status.Read();
        Destination? destination;
        lock (_gate)
        {
            destination = _destination;
        }

        double? eta = destination is null ? null : EtaMinutes(s, destination, out _);
        return CommandResult.Ok(w =>
        {
            if (s.Latitude is { } lat && s.Longitude is { } lng)
            {
                w.WriteStartObject("gps");
                w.WriteNumber("lat", Math.Round(lat, 6));
                w.WriteNumber("lng", Math.Round(lng, 6));
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("gps");
            }

            WriteNumberOrNull(w, "speed_mph", s.SpeedMph is { } mph ? Math.Round(mph) : null);
            WriteNumberOrNull(w, "eta_minutes", eta is { } m ? Math.Ceiling(m) : null);
            if (destination is null)
            {
                w.WriteNull("destination");
            }
            else
            {
                w.WriteString("destination", destination.Name);
            }

            w.WriteBoolean("engaged", s.Engaged);
            w.WriteString("driver_attention", s.DriverAttention);
        });
    }

    private CommandResult Navigate(CommandContext ctx)
    {
        string? name = ctx.GetString("destination");
        bool hasLat = ctx.TryGetParam("lat", out JsonElement latEl) && latEl.ValueKind == JsonValueKind.Number;
        bool hasLng = ctx.TryGetParam("lng", out JsonElement lngEl) && lngEl.ValueKind == JsonValueKind.Number;
        double lat, lng;
        if (hasLat && hasLng)
        {
            (lat, lng) = (latEl.GetDouble(), lngEl.GetDouble());
            if (lat is < -90 or > 90 || lng is < -180 or > 180)
            {
                return CommandResult.Fail("invalid_params", $"lat {lat} / lng {lng} are not coordinates (lat -90..90, lng -180..180).");
            }

            name ??= string.Create(CultureInfo.InvariantCulture, $"{lat:0.#####},{lng:0.#####}");
        }
        else if (string.IsNullOrWhiteSpace(name))
        {
            return CommandResult.Fail("invalid_params", "navigate needs a destination: \"destination\" (a known place) and/or \"lat\" and \"lng\".");
        }
        else if (!TryPlace(name, out lat, out lng))
        {
            return CommandResult.Fail("unknown_place",
                $"'{name}' is not a known place (Comma3x:Places has {string.Join(", ", _options.Places.Keys)}): give \"lat\" and \"lng\" too.");
        }

        var destination = new Destination(name!, lat, lng);
        lock (_gate)
        {
            _destination = destination;
        }

        VehicleSnapshot s = _status.Read();
        double? eta = EtaMinutes(s, destination, out double? distance);
        return CommandResult.Ok(w =>
        {
            w.WriteString("destination", destination.Name);
            w.WriteNumber("lat", destination.Latitude);
            w.WriteNumber("lng", destination.Longitude);
            WriteNumberOrNull(w, "distance_mi", distance is { } m ? Math.Round(m / GeoMath.MetersPerMile, 1) : null);
            WriteNumberOrNull(w, "speed_mph", s.SpeedMph is { } mph ? Math.Round(mph, 1) : null);
            WriteNumberOrNull(w, "eta_minutes", eta is { } e ? Math.Ceiling(e) : null);
            w.WriteString("eta_basis", eta is not null ? "straight-line distance at the current speed"
                : distance is null ? "no GPS fix yet" : "stationary: no ETA until the car moves");
        });
    }

    private async ValueTask<CommandResult> RecordMomentAsync(CommandContext ctx, CancellationToken ct)
    {
        VehicleSnapshot s = _status.Read();
        long n = Interlocked.Increment(ref _moments);
        DateTimeOffset at = _time.GetUtcNow();
        string id = string.Create(CultureInfo.InvariantCulture, $"moment-{at:yyyyMMddHHmmss}-{n}");
        string? snapshot = null;
        string? reason = null;
        if (_camera is null)
        {
            reason = _options.Simulation ? "simulation: no camera configured (Meowstik:Camera)" : "no camera configured (Meowstik:Camera)";
        }
        else
        {
            CommandResult shot = await _camera.HandleAsync(
                new CommandContext(CommandKind.Query, "camera.snapshot", ctx.MessageId, ctx.From, JsonDocument.Parse("""{"output":"image_ref"}""").RootElement, default, ctx.Publisher), ct);
            if (shot.IsSuccess && shot.Result.ToElement().TryGetProperty("image_ref", out JsonElement r))
            {
                snapshot = r.GetString();
            }
            else
            {
                reason = $"camera: {shot.ErrorCode}: {shot.ErrorMessage}";
            }
        }

        string? label = ctx.GetString("label");
        MeshJson data = MeshJson.Object(w =>
        {
            w.WriteString("moment_id", id);
            w.WriteString("at", at.ToString("O", CultureInfo.InvariantCulture));
            if (label is not null)
            {
                w.WriteString("label", label);
            }

            if (s.Latitude is { } lat && s.Longitude is { } lng)
            {
                w.WriteStartObject("gps");
                w.WriteNumber("lat", Math.Round(lat, 6));
                w.WriteNumber("lng", Math.Round(lng, 6));
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("gps");
            }

            WriteNumberOrNull(w, "speed_mph", s.SpeedMph is { } mph ? Math.Round(mph, 1) : null);
            if (snapshot is null)
            {
                w.WriteNull("snapshot");
                w.WriteString("snapshot_reason", reason);
            }
            else
            {
                w.WriteString("snapshot", snapshot);
            }
        });
        ctx.Publisher.PublishEvent(MomentEvent, data, to: "broadcast");   // every device allowed to observe the car
        return CommandResult.Ok(data);
    }

    private async ValueTask<CommandResult> SetCruiseSpeedAsync(CommandContext ctx, CancellationToken ct)
    {
        VehicleControlOptions c = _options.Control;
        if (!c.Enabled)
        {
            return Disabled("vehicle.set_cruise_speed");
        }

        if (!ctx.TryGetParam("speed_mph", out JsonElement v) || v.ValueKind != JsonValueKind.Number)
        {
            return CommandResult.Fail("invalid_params", "vehicle.set_cruise_speed needs \"speed_mph\" (a number).");
        }

        double target = v.GetDouble();
        if (target < c.MinCruiseSpeedMph || target > c.MaxCruiseSpeedMph)
        {
            return CommandResult.Fail("control_limit",
                $"{target} mph is outside the allowed cruise speeds {c.MinCruiseSpeedMph}-{c.MaxCruiseSpeedMph} mph (Comma3x:Control:MinCruiseSpeedMph/MaxCruiseSpeedMph).");
        }

        VehicleSnapshot s = _status.Read();
        if (s.SpeedMph is not { } now)
        {
            return CommandResult.Fail("control_limit", "The current speed is unknown (no recent CAN speed): a cruise speed change cannot be checked against Comma3x:Control:MaxChangeMph.");
        }

        if (Math.Abs(target - now) > c.MaxChangeMph)
        {
            return CommandResult.Fail("control_limit",
                $"{target} mph is {Math.Abs(target - now):0.#} mph from the current {now:0.#} mph; at most {c.MaxChangeMph} mph per command (Comma3x:Control:MaxChangeMph).");
        }

        return await SendAsync(ctx, target * 1.609344, 1, ct);
    }

    private async ValueTask<CommandResult> CancelCruiseAsync(CommandContext ctx, CancellationToken ct) =>
        _options.Control.Enabled ? await SendAsync(ctx, 0, 2, ct) : Disabled("vehicle.cancel_cruise");

    private CommandResult Disabled(string action) => CommandResult.Fail("control_disabled",
        $"{action} refused: vehicle control is disabled on this car (Comma3x:Control:Enabled is false). Enable it only on a closed course, with its limits set.");

    private async ValueTask<CommandResult> SendAsync(CommandContext ctx, double setKph, int request, CancellationToken ct)
    {
        if (_can is null)
        {
            return CommandResult.Fail("control_unavailable", "No CAN bus is configured: nothing can carry a control command.");
        }

        string send = string.Create(CultureInfo.InvariantCulture,
            $$$"""{"id":"{{{_options.Control.CommandId}}}","signals":{"ACC_SET_SPEED_KPH":{{{Math.Round(setKph)}}},"ACC_REQUEST":{{{request}}}}}""");
        CommandResult sent = await _can.HandleAsync(
            new CommandContext(CommandKind.Command, "can.send", ctx.MessageId, ctx.From, JsonDocument.Parse(send).RootElement, default, ctx.Publisher), ct);
        if (!sent.IsSuccess && sent.ErrorCode == CanErrorCodes.SendUnavailable && _options.Simulation)
        {
            return CommandResult.Ok(w =>
            {
                w.WriteBoolean("accepted", true);
                w.WriteBoolean("sent", false);
                w.WriteString("reason", "simulation: the replayed CAN log cannot send; the frame was checked and encoded only");
                w.WriteNumber("set_speed_kph", Math.Round(setKph));
            });
        }

        return sent.IsSuccess
            ? CommandResult.Ok(w => { w.WriteBoolean("accepted", true); w.WriteBoolean("sent", true); w.WriteNumber("set_speed_kph", Math.Round(setKph)); })
            : CommandResult.Fail(sent.ErrorCode ?? "control_failed", "The control frame was refused by the CAN plugin: " + sent.ErrorMessage);
    }

    private static double? EtaMinutes(VehicleSnapshot s, Destination d, out double? distanceMeters)
    {
        distanceMeters = null;
        if (s.Latitude is not { } lat || s.Longitude is not { } lng)
        {
            return null;
        }

        distanceMeters = GeoMath.HaversineMeters(lat, lng, d.Latitude, d.Longitude);
        if (s.SpeedMph is not { } mph || mph < 1)
        {
            return null;
        }

        return distanceMeters.Value / (mph * GpsFix.MetersPerSecondPerMph) / 60;
    }

    private bool TryPlace(string name, out double lat, out double lng)
    {
        lat = lng = 0;
        if (!_options.Places.TryGetValue(name, out string? value))
        {
            return false;
        }

        string[] parts = value.Split(',', StringSplitOptions.TrimEntries);
        return parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out lat)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out lng);
    }

    private static void WriteNumberOrNull(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private sealed record Destination(string Name, double Latitude, double Longitude);
}
