using Meowstik.Agent;
using Meowstik.Agent.Audio;
using Meowstik.Agent.Camera;
using Meowstik.Agent.Can;
using Meowstik.Agent.Gps;
using Meowstik.Agent.Openpilot;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Meowstik.Samples.Comma3x;

/// <summary>
/// The Comma 3X agent's composition, shared by this sample's Program and by samples/Demo (the same code runs in both):
/// <c>Mesh</c> (hub, token, id, simulation), <c>Comma3x</c> (<see cref="VehicleOptions"/>) and the plugins' sections.
/// </summary>
public static class Comma3xAgent
{
    /// <summary>The vehicle id when <c>Mesh:DeviceId</c> is not set.</summary>
    public const string DefaultDeviceId = "comma3x-001";

    /// <summary>The bundled simulated drive (copied beside the binary).</summary>
    public const string DataFolder = "comma3x-data";

    /// <summary>Registers the agent on <c>/ws/vehicle/{id}</c> with its capabilities.</summary>
    /// <param name="builder">The host builder (its configuration is read now).</param>
    /// <returns>What is simulated, one line each, for the console.</returns>
    public static IReadOnlyList<string> Configure(IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IConfiguration config = builder.Configuration;
        SampleSettings settings = SampleHost.ReadSettings(config, DefaultDeviceId);
        var vehicle = new VehicleOptions();
        config.GetSection(VehicleOptions.SectionName).Bind(vehicle, b => b.ErrorOnUnknownConfiguration = true);
        vehicle.Simulation = settings.Simulation;
        vehicle.Places.TryAdd("Ocean Shores Tech", "46.9737,-124.1563");
        var notes = new List<string>();

        bool camera = config.GetSection(CameraOptions.SectionName).Exists();
        bool audio = config.GetSection(AudioOptions.SectionName).Exists();
        List<string> extras = ["speed", "can_bus"];
        if (camera)
        {
            extras.Add("front_camera");
            if (vehicle.DriverCamera)
            {
                extras.Add("driver_camera");
            }
        }

        if (audio)
        {
            extras.Add("audio_in");
            extras.Add("audio_out");
        }

        string dbc = SampleHost.DataFile(Path.Combine(DataFolder, "vehicle.dbc"));
        if (!settings.Simulation && string.IsNullOrWhiteSpace(config[$"{CanOptions.SectionName}:DbcFile"]))
        {
            throw new SampleConfigurationException(
                $"{CanOptions.SectionName}:DbcFile is not set: status reads the speed from the DBC signal Comma3x:SpeedSignal ('{vehicle.SpeedSignal}'). "
                + $"Point it at your car's DBC (the bundled one is {dbc}).");
        }

        IMeshAgentBuilder agent = SampleHost.AddAgent(builder, settings, MeshPaths.Vehicle, "vehicle", "Jason's Comma 3X", extras);
        agent.AddCan(config.GetSection(CanOptions.SectionName), o =>
        {
            if (settings.Simulation)
            {
                o.Source = CanSourceKind.Replay;
                o.ReplayFile = SampleHost.DataFile(Path.Combine(DataFolder, "drive.candump"));
                o.ReplayLoop = true;
                o.ReplayAtRecordedSpeed = true;
                o.DbcFile = dbc;
            }
        });
        agent.AddGps(config.GetSection(GpsOptions.SectionName), o =>
        {
            if (settings.Simulation)
            {
                o.Source = GpsSourceKind.File;
                o.NmeaFile = SampleHost.DataFile(Path.Combine(DataFolder, "drive.nmea"));
                o.FileLoop = true;
                o.FileFixInterval = TimeSpan.FromSeconds(1);
            }
        });
        if (settings.Simulation)
        {
            notes.Add($"simulation: CAN replays {DataFolder}/drive.candump (DBC {DataFolder}/vehicle.dbc, speed signal {vehicle.SpeedSignal}), GPS replays {DataFolder}/drive.nmea: a 2-minute drive on a loop");
        }

        if (camera)
        {
            agent.AddCamera(config.GetSection(CameraOptions.SectionName));
        }
        else
        {
            notes.Add("no camera configured (Meowstik:Camera): record_moment answers snapshot null with the reason");
        }

        if (audio)
        {
            agent.AddAudio(config.GetSection(AudioOptions.SectionName));
        }

        if (!vehicle.Control.Enabled)
        {
            notes.Add("vehicle control disabled (Comma3x:Control:Enabled=false): control commands are refused");
        }

        // On a Comma 3X openpilot owns the car's CAN bus: status then comes from openpilot's own queues, read-only.
        string? msgqRoot = config[$"{OpenpilotOptions.SectionName}:{nameof(OpenpilotOptions.MsgqRoot)}"];
        string? prefix = config[$"{OpenpilotOptions.SectionName}:{nameof(OpenpilotOptions.Prefix)}"];
        if (MsgqOpenpilotSource.QueueExists(msgqRoot, prefix))
        {
            agent.AddOpenpilot(config.GetSection(OpenpilotOptions.SectionName));
            builder.Services.TryAddSingleton<IVehicleStatusSource>(sp => new OpenpilotVehicleStatusSource(sp.GetRequiredService<OpenpilotCapability>()));
            notes.Add($"openpilot found ({msgqRoot ?? "/dev/shm"}): status reads its carState, selfdriveState, driverMonitoringState and GPS");
        }

        builder.Services.TryAddSingleton<IVehicleStatusSource>(sp => new PluginVehicleStatusSource(
            sp.GetRequiredService<GpsCapability>(), sp.GetRequiredService<CanCapability>(), vehicle, sp.GetService<TimeProvider>()));
        agent.AddCapability(sp => new VehicleCapability(
            sp.GetRequiredService<IVehicleStatusSource>(), vehicle, sp.GetService<CanCapability>(), sp.GetService<CameraCapability>(), sp.GetService<TimeProvider>()));
        return notes;
    }
}
