using System.Runtime.InteropServices;
using Meowstik.Agent;
using Meowstik.Protocol;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Meowstik.Samples;

/// <summary>What every sample reads from the <c>Mesh</c> section (appsettings.json, <c>Mesh__Token</c>, <c>--token</c>).</summary>
internal sealed class SampleSettings
{
    /// <summary>The hub's address, e.g. <c>ws://127.0.0.1:5000</c> (the device path is appended) or a full endpoint URI.</summary>
    public required Uri Hub { get; init; }

    public required string Token { get; init; }

    public required string DeviceId { get; init; }

    public string? DeviceName { get; init; }

    /// <summary>Simulated hardware (the default) or the real one configured in the plugins' sections.</summary>
    public bool Simulation { get; init; } = true;

    /// <summary>The endpoint: <c>{Hub}/ws/vehicle/{DeviceId}</c>, <c>{Hub}/ws/mesh</c>, or <see cref="Hub"/> itself when it has a path.</summary>
    public Uri Endpoint(string kindPath) => Hub.AbsolutePath is not ("/" or "") ? Hub
        : kindPath == MeshPaths.Mesh ? new Uri(Hub, MeshPaths.Mesh)
        : MeshPaths.ForKind(Hub, kindPath, DeviceId);
}

/// <summary>A setting is missing or wrong; the message names the key and how to set it.</summary>
internal sealed class SampleConfigurationException(string message) : Exception(message);

/// <summary>The shared host plumbing of the samples: configuration sources, the agent registration, errors, Ctrl+C.</summary>
internal static class SampleHost
{
    public const string SectionName = "Mesh";

    /// <summary>Short command-line switches: <c>--hub</c>, <c>--token</c>, <c>--id</c>, <c>--simulation</c>.</summary>
    public static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--hub"] = "Mesh:Hub",
        ["--token"] = "Mesh:Token",
        ["--id"] = "Mesh:DeviceId",
        ["--name"] = "Mesh:DeviceName",
        ["--simulation"] = "Mesh:Simulation",
    };

    /// <summary>appsettings.json beside the binary, then environment variables (<c>Mesh__Hub</c>), then the command line.</summary>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddCommandLine(args, Switches);
        return builder;
    }

    public static SampleSettings ReadSettings(IConfiguration configuration, string defaultDeviceId)
    {
        IConfigurationSection s = configuration.GetSection(SectionName);
        var errors = new List<string>();
        string? hub = s["Hub"];
        Uri? hubUri = null;
        if (string.IsNullOrWhiteSpace(hub))
        {
            errors.Add("Mesh:Hub is not set: the hub's address, e.g. ws://127.0.0.1:5000 (--hub, or the environment variable Mesh__Hub).");
        }
        else if (!Uri.TryCreate(hub, UriKind.Absolute, out hubUri) || hubUri.Scheme is not ("ws" or "wss" or "http" or "https"))
        {
            errors.Add($"Mesh:Hub is '{hub}': use a ws://, wss://, http:// or https:// address such as ws://127.0.0.1:5000.");
        }
        else if (hubUri.Scheme is "http" or "https")
        {
            hubUri = new UriBuilder(hubUri) { Scheme = hubUri.Scheme == "https" ? "wss" : "ws", Port = hubUri.IsDefaultPort ? -1 : hubUri.Port }.Uri;
        }

        string? token = s["Token"];
        if (string.IsNullOrWhiteSpace(token))
        {
            errors.Add("Mesh:Token is not set: the device token the hub issued for this device (HubHost: token issue; --token, or Mesh__Token).");
        }

        bool simulation = true;
        if (s["Simulation"] is { } sim && !bool.TryParse(sim, out simulation))
        {
            errors.Add($"Mesh:Simulation is '{sim}': use true or false.");
        }

        if (errors.Count > 0)
        {
            throw new SampleConfigurationException(string.Join(Environment.NewLine, errors));
        }

        return new SampleSettings
        {
            Hub = hubUri!,
            Token = token!,
            DeviceId = string.IsNullOrWhiteSpace(s["DeviceId"]) ? defaultDeviceId : s["DeviceId"]!,
            DeviceName = s["DeviceName"],
            Simulation = simulation,
        };
    }

    /// <summary>Registers the agent: <c>Meowstik:Agent</c> bound (timeouts, reconnects, TLS), then the sample's settings.</summary>
    public static IMeshAgentBuilder AddAgent(IHostApplicationBuilder builder, SampleSettings settings, string kindPath, string deviceType, string defaultName, IEnumerable<string> extraCapabilities)
    {
        return builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName), o =>
        {
            o.HubUri = settings.Endpoint(kindPath);
            o.DeviceId = settings.DeviceId;
            o.DeviceType = deviceType;
            o.DeviceName = settings.DeviceName ?? defaultName;
            o.Token = settings.Token;
            foreach (string c in extraCapabilities)
            {
                o.Capabilities.Add(c);
            }
        });
    }

    /// <summary>Runs a sample until Ctrl+C/SIGTERM. Exit codes: 0 stopped, 1 configuration error, 2 token rejected.</summary>
    public static async Task<int> RunAsync(string sample, string[] args, Action<IHostApplicationBuilder> configure)
    {
        IHost host;
        try
        {
            HostApplicationBuilder builder = CreateBuilder(args);
            configure(builder);
            host = builder.Build();
        }
        catch (Exception e) when (e is SampleConfigurationException or OptionsValidationException or InvalidOperationException or ArgumentException or FileNotFoundException or DirectoryNotFoundException)
        {
            Console.Error.WriteLine($"{sample}: configuration error:{Environment.NewLine}  {e.Message.Replace("\n", "\n  ", StringComparison.Ordinal)}");
            return 1;
        }

        using (host)
        {
            MeshAgent agent;
            try
            {
                agent = host.Services.GetRequiredService<MeshAgent>();
            }
            catch (Exception e) when (e is OptionsValidationException or InvalidOperationException or ArgumentException or IOException)
            {
                Console.Error.WriteLine($"{sample}: configuration error:{Environment.NewLine}  {e.Message}");
                return 1;
            }

            Uri? endpoint = host.Services.GetRequiredService<IOptions<MeshAgentOptions>>().Value.HubUri;
            agent.StateChanged += (_, e) =>
            {
                // Every transition is logged by the agent (category Meowstik.Agent.MeshAgent); this line is the one to look for.
                if (e.Current == AgentState.Online)
                {
                    Console.WriteLine($"{sample} online as {agent.DeviceId} at {endpoint}: capabilities [{string.Join(", ", agent.AdvertisedCapabilities)}]");
                }
            };
            try
            {
                await host.RunAsync();   // Ctrl+C and SIGTERM stop it gracefully (close frame sent)
            }
            catch (Exception e) when (e is OptionsValidationException or MeshAuthenticationException or IOException or InvalidOperationException)
            {
                Console.Error.WriteLine($"{sample}: {e.Message}");
                return e is MeshAuthenticationException ? 2 : 1;
            }

            if (agent.State == AgentState.AuthFailed)
            {
                Console.Error.WriteLine($"{sample}: the hub rejected the token: {agent.StateReason}");
                return 2;
            }

            return 0;
        }
    }

    /// <summary>True on Linux when <paramref name="tool"/> is on the PATH (or in the sbin folders).</summary>
    public static string? FindTool(string tool)
    {
        string[] dirs = [.. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries), "/usr/sbin", "/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"];
        return RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? null : dirs.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
    }

    /// <summary>A file shipped beside the sample (data/…), or the path as given when it is absolute or exists.</summary>
    public static string DataFile(string path) =>
        Path.IsPathRooted(path) || File.Exists(path) ? path : Path.Combine(AppContext.BaseDirectory, path);
}
