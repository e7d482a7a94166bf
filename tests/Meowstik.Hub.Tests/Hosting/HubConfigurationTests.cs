using System.Reflection;
using System.Text;
using Meowstik.Hub.AspNetCore;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meowstik.Hub.Tests.Hosting;

/// <summary><c>AddMeowstikHub(IConfiguration)</c>: every option from the <c>Meowstik:Hub</c> section, checked at start-up.</summary>
public sealed class HubConfigurationTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meowstik-hub-tests", Guid.NewGuid().ToString("N"));

    public void Dispose() => TestDirectory.TryDelete(_directory);

    private string Database => Path.Combine(_directory, "hub.db");

    // An appsettings.json setting every option to something other than its default.
    private string FullAppSettings => $$"""
        {
          "Meowstik": {
            "Hub": {
              "RegistrationTimeout": "00:00:07",
              "HeartbeatInterval": "00:00:20",
              "MissedHeartbeatsBeforeOffline": 4,
              "EchoHeartbeats": false,
              "DefaultRequestTimeout": "00:00:25",
              "MaxRequestTimeout": "00:05:00",
              "MaxMessageBytes": 524288,
              "MaxConnections": 5000,
              "MaxPendingRequests": 50000,
              "MaxPendingRequestsPerConnection": 500,
              "MaxPendingRequestsPerToken": 2000,
              "MaxConnectionsPerToken": 8,
              "MaxConnectionsPerAddress": 128,
              "MaxUnauthenticatedConnections": 512,
              "MaxUnauthenticatedConnectionsPerAddress": 32,
              "MaxRegistrationBytes": 32768,
              "MaxStreamSubscriptionsPerConnection": 32,
              "OutboundBufferBytes": 2097152,
              "MaxPendingBytes": 33554432,
              "WriteDeadline": "00:00:15",
              "AudioQueueCapacity": 32,
              "RateLimitPerSecond": 100.5,
              "RateLimitBurst": 300,
              "MaxViolations": 5,
              "ViolationWindow": "00:02:00",
              "CloseTimeout": "00:00:03",
              "TimerResolution": "00:00:00.050",
              "AuditDeliveredMessages": false,
              "MaxStateBytesPerDevice": 131072,
              "HostSubscriberQueueCapacity": 512,
              "TokenRefreshInterval": "00:00:30",
              "Auth": {
                "DefaultTokenLifetime": "90.00:00:00",
                "FamilyTokenLifetime": "02:00:00",
                "CatchPhraseIterations": 300000,
                "CatchPhraseMinLength": 10,
                "CatchPhraseMaxLength": 128,
                "CatchPhraseMaxFailures": 4,
                "CatchPhraseFailureWindow": "00:30:00",
                "CatchPhraseGlobalMaxFailures": 50,
                "MaxTrackedSources": 5000,
                "ExpiredTokenRetention": "2.00:00:00",
                "ExpiredTokenPurgeInterval": "00:30:00"
              },
              "Audit": {
                "QueueCapacity": 8192,
                "SecurityQueueCapacity": 32768,
                "BatchSize": 256,
                "MaxBatchSize": 4096,
                "FlushInterval": "00:00:02",
                "Retention": "7.00:00:00",
                "RetentionInterval": "00:10:00"
              },
              "Sqlite": { "DatabasePath": {{System.Text.Json.JsonSerializer.Serialize(Database)}} },
              "Endpoints": { "PathPrefix": "/mesh", "EnableCatchPhrase": true }
            }
          }
        }
        """;

    [Fact]
    public void An_appsettings_section_binds_every_option()
    {
        using WebApplication app = Build(builder => builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(FullAppSettings))));

        MeshHubOptions hub = app.Services.GetRequiredService<IOptions<MeshHubOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(20), hub.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(50), hub.TimerResolution);
        Assert.Equal(100.5, hub.RateLimitPerSecond);
        Assert.Equal(33554432, hub.MaxPendingBytes);
        Assert.Equal(TimeSpan.FromDays(90), hub.Auth.DefaultTokenLifetime);
        Assert.Equal(50, hub.Auth.CatchPhraseGlobalMaxFailures);
        Assert.Equal(TimeSpan.FromDays(7), hub.Audit.Retention);
        Assert.Equal(256, hub.Audit.BatchSize);
        AssertEveryPropertyChanged(hub, new MeshHubOptions());

        Assert.Equal(Database, app.Services.GetRequiredService<IOptions<Meowstik.Hub.Sqlite.SqliteHubOptions>>().Value.DatabasePath);
        MeshHubEndpointOptions endpoints = app.Services.GetRequiredService<IOptions<MeshHubEndpointOptions>>().Value;
        Assert.Equal("/mesh", endpoints.PathPrefix);
        Assert.True(endpoints.EnableCatchPhrase);

        // The hub is built with them.
        Assert.Equal(TimeSpan.FromSeconds(20), app.Services.GetRequiredService<MeshHub>().Options.HeartbeatInterval);
    }

    [Theory]
    [InlineData("Meowstik:Hub:HeartbeatIntervall", "00:00:10", "HeartbeatIntervall")]
    [InlineData("Meowstik:Hub:Audit:BatchSise", "10", "BatchSise")]
    [InlineData("Meowstik:Hub:Auth:FamilyTokenLifetme", "01:00:00", "FamilyTokenLifetme")]
    [InlineData("Meowstik:Hub:Sqlite:DatabasePth", "x.db", "DatabasePth")]
    [InlineData("Meowstik:Hub:Endpoints:Prefix", "/x", "Prefix")]
    [InlineData("Meowstik:Hub:Databasepath", "x.db", "Databasepath")]
    public async Task A_misspelt_key_stops_the_host_at_start_up_naming_the_key(string key, string value, string named)
    {
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => BuildMapAndStartAsync(Settings((key, value))));

        Assert.Contains($"'{named}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Meowstik:Hub", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Meowstik:Hub:RateLimitBurst", "0", "Meowstik:Hub:RateLimitBurst must be at least 1 (was 0).")]
    [InlineData("Meowstik:Hub:MaxPendingBytes", "2048", "Meowstik:Hub:MaxPendingBytes must be at least OutboundBufferBytes")]
    [InlineData("Meowstik:Hub:HeartbeatInterval", "-00:00:01", "Meowstik:Hub:HeartbeatInterval must be positive")]
    [InlineData("Meowstik:Hub:Audit:FlushInterval", "00:00:00", "Meowstik:Hub:Audit:FlushInterval must be positive")]
    [InlineData("Meowstik:Hub:Auth:CatchPhraseMaxLength", "4", "Meowstik:Hub:Auth:CatchPhraseMaxLength must be at least Auth:CatchPhraseMinLength")]
    [InlineData("Meowstik:Hub:Sqlite:DatabasePath", " ", "Meowstik:Hub:Sqlite:DatabasePath must name a file")]
    [InlineData("Meowstik:Hub:Endpoints:PathPrefix", "mesh", "Meowstik:Hub:Endpoints:PathPrefix must start with '/'")]
    [InlineData("Meowstik:Hub:HeartbeatInterval", "soon", "Meowstik:Hub:HeartbeatInterval")]
    public async Task A_value_out_of_range_stops_the_host_at_start_up_naming_the_key(string key, string value, string message)
    {
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => BuildMapAndStartAsync(Settings((key, value))));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Options_set_in_code_are_validated_at_start_up_too()
    {
        WebApplication app = Build(configure: o => o.MaxConnectionsPerAddress = 0);
        await using (app)
        {
            OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
            Assert.Contains("Meowstik:Hub:MaxConnectionsPerAddress must be at least 1 (was 0).", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Configuration_and_code_combine_and_code_wins()
    {
        using WebApplication app = Build(builder =>
        {
            builder.Configuration.AddInMemoryCollection(Settings(("Meowstik:Hub:RateLimitBurst", "300"), ("Meowstik:Hub:HeartbeatInterval", "00:00:05")));
            builder.Services.AddMeowstikHub(o => o.RateLimitBurst = 50);
        });

        MeshHubOptions hub = app.Services.GetRequiredService<IOptions<MeshHubOptions>>().Value;
        Assert.Equal(50, hub.RateLimitBurst);
        Assert.Equal(TimeSpan.FromSeconds(5), hub.HeartbeatInterval);
        Assert.Single(app.Services.GetServices<MeshHub>());
    }

    [Fact]
    public void Zero_configuration_keeps_the_documented_defaults()
    {
        var services = new ServiceCollection();
        services.AddMeowstikHub();
        using ServiceProvider provider = services.BuildServiceProvider();

        Assert.Equal("meowstik-hub.db", provider.GetRequiredService<IOptions<Meowstik.Hub.Sqlite.SqliteHubOptions>>().Value.DatabasePath);
        Assert.Equal("", provider.GetRequiredService<IOptions<MeshHubEndpointOptions>>().Value.PathPrefix);
        Assert.False(provider.GetRequiredService<IOptions<MeshHubEndpointOptions>>().Value.EnableCatchPhrase);
        Assert.Equal(TimeSpan.FromSeconds(30), provider.GetRequiredService<IOptions<MeshHubOptions>>().Value.HeartbeatInterval);
    }

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?> { ["Meowstik:Hub:Sqlite:DatabasePath"] = Database };
        foreach ((string key, string value) in settings) all[key] = value;
        return all;
    }

    private async Task BuildMapAndStartAsync(Dictionary<string, string?> settings)
    {
        await using WebApplication app = Build(builder => builder.Configuration.AddInMemoryCollection(settings));
        app.MapMeowstikHub();
        await app.StartAsync();
        await app.StopAsync();
    }

    private WebApplication Build(Action<WebApplicationBuilder>? setUp = null, Action<MeshHubOptions>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(Settings());
        // The section is read when the options are first used, so sources added by setUp still count.
        builder.Services.AddMeowstikHub(builder.Configuration.GetSection(MeshHubOptions.SectionName), configure);
        setUp?.Invoke(builder);
        return builder.Build();
    }

    private static void AssertEveryPropertyChanged(object actual, object defaults)
    {
        foreach (PropertyInfo property in actual.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            object? value = property.GetValue(actual);
            object? original = property.GetValue(defaults);
            if (property.PropertyType.IsClass && property.PropertyType != typeof(string))
            {
                AssertEveryPropertyChanged(value!, original!);
                continue;
            }

            Assert.False(Equals(value, original), $"{actual.GetType().Name}.{property.Name} was not bound (add it to the test's appsettings).");
        }
    }
}
