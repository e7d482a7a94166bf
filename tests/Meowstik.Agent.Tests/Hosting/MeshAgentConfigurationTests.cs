using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent.Tests.Hosting;

/// <summary>Options bound from the <c>Meowstik:Agent</c> section by the configuration binder's source generator.</summary>
public partial class MeshAgentConfigurationTests
{
    /// <summary>One value for every option configuration can set.</summary>
    private static readonly Dictionary<string, string?> EveryKey = new()
    {
        ["Meowstik:Agent:HubUri"] = "ws://10.0.0.2:8080/ws/mesh",
        ["Meowstik:Agent:DeviceId"] = "homeserver-001",
        ["Meowstik:Agent:DeviceType"] = "home_server",
        ["Meowstik:Agent:DeviceName"] = "Basement",
        ["Meowstik:Agent:Token"] = "abc",
        ["Meowstik:Agent:Capabilities:0"] = "iot_hub",
        ["Meowstik:Agent:Capabilities:1"] = "ssh_tunnel",
        ["Meowstik:Agent:Reconnect:InitialDelay"] = "00:00:00.5",
        ["Meowstik:Agent:Reconnect:MaxDelay"] = "00:00:20",
        ["Meowstik:Agent:StableConnectionThreshold"] = "00:02:00",
        ["Meowstik:Agent:AuthFailureRetryDelay"] = "00:10:00",
        ["Meowstik:Agent:StopApplicationOnAuthFailure"] = "false",
        ["Meowstik:Agent:HeartbeatInterval"] = "00:00:05",
        ["Meowstik:Agent:ConnectTimeout"] = "00:00:07",
        ["Meowstik:Agent:RegistrationTimeout"] = "00:00:08",
        ["Meowstik:Agent:KeepAliveInterval"] = "00:00:09",
        ["Meowstik:Agent:KeepAliveTimeout"] = "00:00:04",
        ["Meowstik:Agent:OutboxCapacity"] = "50",
        ["Meowstik:Agent:StreamBufferCapacity"] = "16",
        ["Meowstik:Agent:BinaryStreams"] = "false",
        ["Meowstik:Agent:SubscriptionCapacity"] = "32",
        ["Meowstik:Agent:MaxConcurrentCommands"] = "2",
        ["Meowstik:Agent:MaxPendingCommands"] = "20",
        ["Meowstik:Agent:CommandTimeout"] = "00:00:03",
        ["Meowstik:Agent:RequestTimeout"] = "00:00:06",
        ["Meowstik:Agent:MaxMessageBytes"] = "65536",
        ["Meowstik:Agent:Tls:PinnedPublicKeySha256:0"] = "pin1",
        // Validation checks that the file exists; its certificates are read when the agent connects.
        ["Meowstik:Agent:Tls:TrustedCertificateAuthorityFiles:0"] = typeof(MeshAgentConfigurationTests).Assembly.Location,
        ["Meowstik:Agent:RequestHeaders:X-Site"] = "home",
    };

    /// <summary>The options that are objects or callbacks: set in code, refused in configuration.</summary>
    private static readonly string[] CodeOnly =
    [
        "TokenProvider", "ReconnectPolicy", "Proxy",
        "Tls:TrustedCertificateAuthorities", "Tls:ClientCertificates", "Tls:RemoteCertificateValidation",
    ];

    private static MeshAgentOptions Bind(Dictionary<string, string?> values, Action<MeshAgentOptions>? configure = null)
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddMeowstikAgent(config.GetSection(MeshAgentOptions.SectionName), configure);
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<MeshAgentOptions>>().Value;
    }

    private static IHost BuildHost(Dictionary<string, string?> values)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(values);
        builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName));
        return builder.Build();
    }

    private static Dictionary<string, string?> Minimal(params (string Key, string? Value)[] changes)
    {
        var values = new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:9/ws/mesh",
            ["Meowstik:Agent:DeviceId"] = "pi-007",
            ["Meowstik:Agent:Token"] = "t",
        };
        foreach ((string key, string? value) in changes)
        {
            values[key] = value;
        }

        return values;
    }

    [Fact]
    public void The_section_is_Meowstik_Agent()
    {
        Assert.Equal("Meowstik:Agent", MeshAgentOptions.SectionName);
    }

    [Fact]
    public void Every_documented_key_binds()
    {
        MeshAgentOptions o = Bind(EveryKey);

        Assert.Equal(new Uri("ws://10.0.0.2:8080/ws/mesh"), o.HubUri);
        Assert.Equal(("homeserver-001", "home_server", "Basement", "abc"), (o.DeviceId, o.DeviceType, o.DeviceName, o.Token));
        Assert.Equal(["iot_hub", "ssh_tunnel"], o.Capabilities);
        Assert.Equal((TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20)), (o.Reconnect.InitialDelay, o.Reconnect.MaxDelay));
        var policy = Assert.IsType<ExponentialBackoffPolicy>(o.CreateReconnectPolicy());
        Assert.Equal(TimeSpan.FromSeconds(20), policy.MaxDelay);
        Assert.Equal(TimeSpan.FromMinutes(2), o.StableConnectionThreshold);
        Assert.Equal(TimeSpan.FromMinutes(10), o.AuthFailureRetryDelay);
        Assert.False(o.StopApplicationOnAuthFailure);
        Assert.Equal(TimeSpan.FromSeconds(5), o.HeartbeatInterval);
        Assert.Equal((TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(8)), (o.ConnectTimeout, o.RegistrationTimeout));
        Assert.Equal((TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(4)), (o.KeepAliveInterval, o.KeepAliveTimeout));
        Assert.Equal((50, 16, 32), (o.OutboxCapacity, o.StreamBufferCapacity, o.SubscriptionCapacity));
        Assert.False(o.BinaryStreams);
        Assert.Equal((2, 20), (o.MaxConcurrentCommands, o.MaxPendingCommands));
        Assert.Equal((TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6)), (o.CommandTimeout, o.RequestTimeout));
        Assert.Equal(65536, o.MaxMessageBytes);
        Assert.Equal(["pin1"], o.Tls.PinnedPublicKeySha256);
        Assert.Equal([typeof(MeshAgentConfigurationTests).Assembly.Location], o.Tls.TrustedCertificateAuthorityFiles);
        Assert.Equal("home", o.RequestHeaders["X-Site"]);
        o.Validate();
    }

    [Fact]
    public void Every_public_option_is_either_bound_from_configuration_or_code_only()
    {
        var bindable = new List<string>();
        foreach (PropertyInfo property in typeof(MeshAgentOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.Name is nameof(MeshAgentOptions.Reconnect) or nameof(MeshAgentOptions.Tls))
            {
                bindable.AddRange(property.PropertyType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => property.Name + ":" + p.Name));
            }
            else
            {
                bindable.Add(property.Name);
            }
        }

        string[] configured = [.. EveryKey.Keys.Select(k => k["Meowstik:Agent:".Length..])];
        Assert.All(bindable.Except(CodeOnly), option =>
            Assert.True(configured.Any(k => k == option || k.StartsWith(option + ":", StringComparison.Ordinal)), $"{option} has no configuration key in this test"));
    }

    [Fact]
    public void The_configure_callback_runs_after_binding_for_code_only_settings()
    {
        MeshAgentOptions o = Bind(Minimal(), o =>
        {
            o.DeviceName = "Garage Pi";
            o.TokenProvider = _ => ValueTask.FromResult("rotated");
        });
        Assert.Equal(("pi-007", "Garage Pi"), (o.DeviceId, o.DeviceName));
        Assert.NotNull(o.TokenProvider);
    }

    [Theory]
    [InlineData("Meowstik:Agent:HubUrl", "'HubUrl'", "MeshAgentOptions")]
    [InlineData("Meowstik:Agent:Reconnect:MaxDelai", "'MaxDelai'", "MeshAgentReconnectOptions")]
    [InlineData("Meowstik:Agent:Tls:Pins:0", "'Pins'", "MeshAgentTlsOptions")]
    public async Task An_unknown_key_stops_the_host_from_starting_and_is_named(string key, string named, string type)
    {
        using IHost host = BuildHost(Minimal((key, "wss://elsewhere.example/ws/mesh")));
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains(named, error.Message);
        Assert.Contains(type, error.Message);
    }

    [Theory]
    [InlineData("Proxy", "http://proxy.local:3128")]
    [InlineData("ReconnectPolicy", "exponential")]
    [InlineData("TokenProvider", "vault")]
    [InlineData("Tls:TrustedCertificateAuthorities", "/etc/ca.pem")]
    [InlineData("Tls:ClientCertificates:0", "/etc/client.pfx")]
    public void A_code_only_option_in_configuration_is_an_error_naming_it(string key, string value)
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Bind(Minimal(("Meowstik:Agent:" + key, value))));
        Assert.StartsWith("Meowstik:Agent:" + key.Replace(":0", string.Empty, StringComparison.Ordinal) + " cannot be set from configuration", error.Message);
    }

    [Fact]
    public void Trusted_certificate_files_bind_and_a_missing_one_is_an_error_naming_its_key()
    {
        string pem = Path.GetTempFileName();
        try
        {
            MeshAgentOptions bound = Bind(Minimal(("Meowstik:Agent:Tls:TrustedCertificateAuthorityFiles:0", pem)));
            Assert.Equal([pem], bound.Tls.TrustedCertificateAuthorityFiles);
        }
        finally
        {
            File.Delete(pem);
        }

        var error = Assert.ThrowsAny<Exception>(() => Bind(Minimal(("Meowstik:Agent:Tls:TrustedCertificateAuthorityFiles:0", "/nonexistent/ca.pem"))));
        Assert.Contains("Meowstik:Agent:Tls:TrustedCertificateAuthorityFiles:0 '/nonexistent/ca.pem' does not exist", error.Message);
    }

    [Fact]
    public void A_value_that_does_not_parse_names_its_key()
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => Bind(Minimal(("Meowstik:Agent:HeartbeatInterval", "soon"))));
        Assert.Contains("Meowstik:Agent:HeartbeatInterval", error.Message);
    }

    [Fact]
    public async Task Without_HubUri_the_host_does_not_start_and_the_error_says_which_key_to_set()
    {
        using IHost host = BuildHost(Minimal(("Meowstik:Agent:HubUri", null)));
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Meowstik:Agent:HubUri is not set", error.Message);
    }

    [Fact]
    public async Task Every_invalid_setting_is_reported_at_start()
    {
        using IHost host = BuildHost(Minimal(
            ("Meowstik:Agent:HubUri", "https://hub.example/ws/mesh"),
            ("Meowstik:Agent:DeviceId", "has space"),
            ("Meowstik:Agent:OutboxCapacity", "0")));
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal(3, error.Failures.Count());
        Assert.Contains("Meowstik:Agent:HubUri 'https://hub.example/ws/mesh' is invalid", error.Message);
        Assert.Contains("Meowstik:Agent:DeviceId 'has space' is invalid", error.Message);
        Assert.Contains("Meowstik:Agent:OutboxCapacity must be at least 1", error.Message);
    }

    [Fact]
    public void The_documented_json_binds_and_every_option_in_the_table_exists()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "agent.md"));

        // The appsettings example: bound exactly as a host would (unknown keys fail).
        Match json = JsonExample().Match(doc);
        Assert.True(json.Success, "docs/agent.md has no appsettings example");
        var values = new Dictionary<string, string?>();
        Flatten(JsonDocument.Parse(json.Groups[1].Value).RootElement, null, values);
        MeshAgentOptions o = Bind(values);
        Assert.Equal("comma3x-001", o.DeviceId);
        Assert.Equal(TimeSpan.FromMinutes(1), o.Reconnect.MaxDelay);

        // The options table: every name in its first column is an option (nested ones as configuration paths).
        string table = doc[doc.IndexOf("## Options", StringComparison.Ordinal)..doc.IndexOf("## Connection behaviour", StringComparison.Ordinal)];
        var names = TableOptionNames().Matches(table).SelectMany(row => OptionName().Matches(row.Groups[1].Value).Select(m => m.Groups[1].Value)).ToList();
        Assert.Contains("Reconnect:MaxDelay", names);
        Assert.All(names, name => Assert.True(OptionExists(name), $"docs/agent.md names '{name}', which MeshAgentOptions does not have"));
    }

    private static bool OptionExists(string path)
    {
        Type type = typeof(MeshAgentOptions);
        foreach (string part in path.Split(':'))
        {
            PropertyInfo? property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance);
            if (property is null)
            {
                return false;
            }

            type = property.PropertyType;
        }

        return true;
    }

    private static void Flatten(JsonElement element, string? prefix, Dictionary<string, string?> values)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    Flatten(property.Value, prefix is null ? property.Name : prefix + ":" + property.Name, values);
                }

                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    Flatten(item, prefix + ":" + i++, values);
                }

                break;
            default:
                values[prefix!] = element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
                break;
        }
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Meowstik.Sdk.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Meowstik.Sdk.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```json\\s*(\\{\\s*\"Meowstik\".*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonExample();

    [GeneratedRegex("^\\| ([^|]*`[^|]*) \\|", RegexOptions.Multiline)]
    private static partial Regex TableOptionNames();

    [GeneratedRegex("`([A-Za-z:]+)`")]
    private static partial Regex OptionName();
}
