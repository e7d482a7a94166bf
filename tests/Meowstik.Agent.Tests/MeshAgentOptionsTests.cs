using Meowstik.Agent;

namespace Meowstik.Agent.Tests;

public class MeshAgentOptionsTests
{
    [Fact]
    public void Defaults_match_the_documentation()
    {
        var o = new MeshAgentOptions();
        Assert.Null(o.HubUri);
        Assert.Equal("generic", o.DeviceType);
        Assert.Null(o.ReconnectPolicy);
        Assert.Equal(TimeSpan.FromSeconds(1), o.Reconnect.InitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(60), o.Reconnect.MaxDelay);
        var policy = Assert.IsType<ExponentialBackoffPolicy>(o.CreateReconnectPolicy());
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)), (policy.InitialDelay, policy.MaxDelay));
        Assert.True(o.StopApplicationOnAuthFailure);
        Assert.Equal(TimeSpan.FromSeconds(30), o.StableConnectionThreshold);
        Assert.Null(o.AuthFailureRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), o.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), o.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), o.RegistrationTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), o.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), o.KeepAliveTimeout);
        Assert.Equal(1024, o.OutboxCapacity);
        Assert.Equal(64, o.StreamBufferCapacity);
        Assert.Equal(1024, o.SubscriptionCapacity);
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
        Uri uri = MeshPaths.ForKind(new Uri("wss://hub.example"), MeshPaths.Vehicle, "comma3x-001");
        Assert.Equal("wss://hub.example/ws/vehicle/comma3x-001", uri.ToString());
    }

    [Fact]
    public void There_is_no_default_hub_and_the_error_names_the_key_to_set()
    {
        MeshAgentOptions o = TestAgents.Options();
        o.HubUri = null;
        ArgumentException error = Assert.Throws<ArgumentException>(() => new MeshAgent(o));
        Assert.Equal("HubUri", error.ParamName);
        Assert.Contains("Meowstik:Agent:HubUri is not set", error.Message);
    }

    [Fact]
    public async Task RunAsync_checks_the_options_again_when_they_changed_after_construction()
    {
        MeshAgentOptions o = TestAgents.Options();
        await using var agent = new MeshAgent(o);
        o.HubUri = null;
        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => agent.RunAsync());
        Assert.Contains("Meowstik:Agent:HubUri", error.Message);
    }

    [Fact]
    public void Reconnect_delays_are_checked_and_a_custom_policy_replaces_them()
    {
        MeshAgentOptions o = TestAgents.Options();
        o.Reconnect.MaxDelay = TimeSpan.FromMilliseconds(10);
        Assert.Contains("Meowstik:Agent:Reconnect:MaxDelay", Assert.Throws<ArgumentOutOfRangeException>(o.Validate).Message);

        var custom = new ExponentialBackoffPolicy { InitialDelay = TimeSpan.FromSeconds(3) };
        o = TestAgents.Options();
        o.ReconnectPolicy = custom;
        Assert.Same(custom, o.CreateReconnectPolicy());
    }

    [Fact]
    public void Validation_lists_every_invalid_setting_under_the_section_it_was_bound_from()
    {
        var o = new MeshAgentOptions { OutboxCapacity = 0 };
        Assert.Equal(
            ["Devices:Car:HubUri", "Devices:Car:DeviceId", "Devices:Car:Token", "Devices:Car:OutboxCapacity"],
            o.FindErrors("Devices:Car").Select(e => e.Message.Split(' ')[0]));
    }
}
