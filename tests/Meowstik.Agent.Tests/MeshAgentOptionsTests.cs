using Meowstik.Agent;
using Microsoft.Extensions.Configuration;

namespace Meowstik.Agent.Tests;

public class MeshAgentOptionsTests
{
    [Fact]
    public void Defaults_match_the_documentation()
    {
        var o = new MeshAgentOptions();
        Assert.Equal(new Uri("wss://meowstik.replit.app/ws/mesh"), o.HubUri);
        Assert.Equal("generic", o.DeviceType);
        Assert.IsType<ExponentialBackoffPolicy>(o.ReconnectPolicy);
        Assert.Equal(TimeSpan.FromSeconds(30), o.StableConnectionThreshold);
        Assert.Null(o.AuthFailureRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), o.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), o.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), o.RegistrationTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), o.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), o.KeepAliveTimeout);
        Assert.Equal(1024, o.OutboxCapacity);
        Assert.Equal(64, o.StreamBufferCapacity);
        Assert.Equal(8, o.MaxConcurrentCommands);
        Assert.Equal(256, o.MaxPendingCommands);
        Assert.Equal(TimeSpan.FromSeconds(30), o.CommandTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), o.RequestTimeout);
        Assert.Equal(1024 * 1024, o.MaxMessageBytes);
        Assert.Null(o.Proxy);
        Assert.Empty(o.Tls.PinnedPublicKeySha256);
    }

    [Theory]
    [InlineData("", "DeviceId")]
    [InlineData("has space", "DeviceId")]
    [InlineData("hub", "DeviceId")]
    [InlineData("broadcast", "DeviceId")]
    public void Invalid_device_ids_are_refused(string id, string param)
    {
        MeshAgentOptions o = TestAgents.Options();
        o.DeviceId = id;
        ArgumentException error = Assert.Throws<ArgumentException>(o.Validate);
        Assert.Equal(param, error.ParamName);
    }

    [Fact]
    public void A_token_or_token_provider_is_required()
    {
        MeshAgentOptions o = TestAgents.Options();
        o.Token = null;
        Assert.Equal("Token", Assert.Throws<ArgumentException>(o.Validate).ParamName);
        o.TokenProvider = _ => ValueTask.FromResult("t");
        o.Validate();
    }

    [Fact]
    public void Other_invalid_settings_name_themselves()
    {
        MeshAgentOptions o = TestAgents.Options();
        o.HubUri = new Uri("https://example.com/ws/mesh");
        Assert.Equal("HubUri", Assert.Throws<ArgumentException>(o.Validate).ParamName);

        o = TestAgents.Options();
        o.OutboxCapacity = 0;
        Assert.Equal("OutboxCapacity", Assert.Throws<ArgumentOutOfRangeException>(o.Validate).ParamName);

        o = TestAgents.Options();
        o.MaxPendingCommands = 2;
        o.MaxConcurrentCommands = 4;
        Assert.Equal("MaxPendingCommands", Assert.Throws<ArgumentOutOfRangeException>(o.Validate).ParamName);

        o = TestAgents.Options();
        o.CommandTimeout = TimeSpan.Zero;
        Assert.Equal("CommandTimeout", Assert.Throws<ArgumentOutOfRangeException>(o.Validate).ParamName);
    }

    [Fact]
    public void Per_kind_paths_build_hub_uris()
    {
        Uri uri = MeshPaths.ForKind(new Uri("wss://meowstik.replit.app"), MeshPaths.Vehicle, "comma3x-001");
        Assert.Equal("wss://meowstik.replit.app/ws/vehicle/comma3x-001", uri.ToString());
    }

    [Fact]
    public void Configuration_binding_reads_every_documented_key()
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MeshAgent:HubUri"] = "ws://10.0.0.2:8080/ws/mesh",
            ["MeshAgent:DeviceId"] = "homeserver-001",
            ["MeshAgent:DeviceType"] = "home_server",
            ["MeshAgent:DeviceName"] = "Basement",
            ["MeshAgent:Token"] = "abc",
            ["MeshAgent:Capabilities:0"] = "iot_hub",
            ["MeshAgent:Capabilities:1"] = "ssh_tunnel",
            ["MeshAgent:HeartbeatInterval"] = "00:00:05",
            ["MeshAgent:AuthFailureRetryDelay"] = "00:10:00",
            ["MeshAgent:OutboxCapacity"] = "50",
            ["MeshAgent:MaxConcurrentCommands"] = "2",
            ["MeshAgent:CommandTimeout"] = "00:00:03",
            ["MeshAgent:Reconnect:InitialDelay"] = "00:00:00.5",
            ["MeshAgent:Reconnect:MaxDelay"] = "00:00:20",
            ["MeshAgent:Tls:PinnedPublicKeySha256:0"] = "pin1",
            ["MeshAgent:RequestHeaders:X-Site"] = "home",
            ["MeshAgent:Proxy"] = "http://proxy.local:3128",
        }).Build();
        var o = new MeshAgentOptions();
        MeshAgentConfiguration.Bind(config.GetSection("MeshAgent"), o);

        Assert.Equal(new Uri("ws://10.0.0.2:8080/ws/mesh"), o.HubUri);
        Assert.Equal(("homeserver-001", "home_server", "Basement", "abc"), (o.DeviceId, o.DeviceType, o.DeviceName, o.Token));
        Assert.Equal(["iot_hub", "ssh_tunnel"], o.Capabilities);
        Assert.Equal(TimeSpan.FromSeconds(5), o.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMinutes(10), o.AuthFailureRetryDelay);
        Assert.Equal(50, o.OutboxCapacity);
        Assert.Equal(2, o.MaxConcurrentCommands);
        Assert.Equal(TimeSpan.FromSeconds(3), o.CommandTimeout);
        var policy = Assert.IsType<ExponentialBackoffPolicy>(o.ReconnectPolicy);
        Assert.Equal(TimeSpan.FromMilliseconds(500), policy.InitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(20), policy.MaxDelay);
        Assert.Equal(["pin1"], o.Tls.PinnedPublicKeySha256);
        Assert.Equal("home", o.RequestHeaders["X-Site"]);
        Assert.NotNull(o.Proxy);
        o.Validate();
    }

    [Fact]
    public void Configuration_binding_reports_the_bad_key()
    {
        IConfiguration config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["HeartbeatInterval"] = "soon",
        }).Build();
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => MeshAgentConfiguration.Bind(config, new MeshAgentOptions()));
        Assert.Contains("HeartbeatInterval", error.Message);
        Assert.Contains("soon", error.Message);
    }
}
