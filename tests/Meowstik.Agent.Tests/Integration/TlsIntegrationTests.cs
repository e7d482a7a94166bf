using System.Net;
using System.Security.Cryptography.X509Certificates;
using Meowstik.Agent;
using Meowstik.Agent.Tests.Security;
using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent.Tests.Integration;

/// <summary>The agent over wss:// to the real hub behind Kestrel HTTPS with a certificate from a private CA.</summary>
public sealed class TlsIntegrationTests : IAsyncLifetime
{
    private readonly X509Certificate2 _ca = TestCertificates.CreateAuthority("Meowstik Home CA");
    private readonly X509Certificate2 _otherCa = TestCertificates.CreateAuthority("Somebody Else's CA");
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "meowstik-agent-tls", Guid.NewGuid().ToString("N"));
    private X509Certificate2 _server = null!;
    private WebApplication _app = null!;
    private Uri _uri = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _server = TestCertificates.CreateServer(_ca, "localhost");
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_server)));
        builder.Services.Configure<SqliteHubOptions>(o => o.DatabasePath = Path.Combine(_directory, "hub.db"));
        builder.Services.AddMeowstikHub();
        _app = builder.Build();
        _app.MapMeowstikHub();
        await _app.StartAsync();
        int port = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        _uri = new Uri($"wss://localhost:{port}/ws/mesh");
        MeshHub hub = _app.Services.GetRequiredService<MeshHub>();
        _token = (await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "pi", DeviceId = "pi-tls" })).Secret;
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _server.Dispose();
        _ca.Dispose();
        _otherCa.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Cleaned up by the OS later.
        }
    }

    private MeshAgentOptions Options(Action<MeshAgentTlsOptions> tls)
    {
        var options = new MeshAgentOptions
        {
            HubUri = _uri,
            DeviceId = "pi-tls",
            Token = _token,
            ReconnectPolicy = new ExponentialBackoffPolicy { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(300) },
        };
        tls(options.Tls);
        return options;
    }

    [Fact]
    public async Task Trusting_the_private_ca_and_pinning_its_key_connects()
    {
        await using var agent = new MeshAgent(Options(tls =>
        {
            tls.TrustedCertificateAuthorities.Add(_ca);
            tls.PinnedPublicKeySha256.Add(HubCertificateValidator.ComputePin(_ca));
        }));
        using var stop = new CancellationTokenSource();
        Task run = agent.RunAsync(stop.Token);
        await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(_app.Services.GetRequiredService<MeshHub>().IsOnline("pi-tls"));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task An_untrusted_ca_or_a_wrong_pin_never_connects_and_keeps_retrying()
    {
        foreach (Action<MeshAgentTlsOptions> tls in new Action<MeshAgentTlsOptions>[]
        {
            t => t.TrustedCertificateAuthorities.Add(_otherCa),
            t =>
            {
                t.TrustedCertificateAuthorities.Add(_ca);
                t.PinnedPublicKeySha256.Add(HubCertificateValidator.ComputePin(_otherCa));
            },
            _ => { },
        })
        {
            await using var agent = new MeshAgent(Options(tls));
            var reasons = new List<string>();
            agent.StateChanged += (_, e) =>
            {
                if (e.Current == AgentState.Disconnected && e.Reason is not null)
                {
                    lock (reasons)
                    {
                        reasons.Add(e.Reason);
                    }
                }
            };
            using var stop = new CancellationTokenSource();
            Task run = agent.RunAsync(stop.Token);
            for (int i = 0; i < 300; i++)
            {
                lock (reasons)
                {
                    if (reasons.Count >= 2)
                    {
                        break;
                    }
                }

                await Task.Delay(20);
            }

            lock (reasons)
            {
                Assert.True(reasons.Count >= 2, "the agent should keep retrying a hub it cannot trust");
                Assert.All(reasons, r => Assert.StartsWith("connection failed", r));
            }

            Assert.NotEqual(AgentState.Online, agent.State);
            Assert.False(_app.Services.GetRequiredService<MeshHub>().IsOnline("pi-tls"));
            await stop.CancelAsync();
            await run;
        }
    }
}
