using System.Security.Cryptography.X509Certificates;
using Meowstik.Agent;
using Meowstik.Agent.Tests.Security;

namespace Meowstik.Agent.Tests.Integration;

/// <summary>The agent over wss:// to the real hub (<see cref="MeshTestHub"/> with TLS) with a certificate from a private CA.</summary>
public sealed class TlsIntegrationTests : IAsyncLifetime
{
    private readonly X509Certificate2 _ca = TestCertificates.CreateAuthority("Meowstik Home CA");
    private readonly X509Certificate2 _otherCa = TestCertificates.CreateAuthority("Somebody Else's CA");
    private X509Certificate2 _server = null!;
    private MeshTestHub _hub = null!;
    private Uri _uri = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        _server = TestCertificates.CreateServer(_ca, "localhost");
        _hub = await MeshTestHub.StartAsync(new MeshTestHubOptions { ServerCertificate = _server });
        _uri = _hub.MeshUri;
        _token = await _hub.IssueDeviceTokenAsync("pi-tls");
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        _server.Dispose();
        _ca.Dispose();
        _otherCa.Dispose();
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
        Assert.True(_hub.Hub.IsOnline("pi-tls"));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Trusting_the_private_ca_from_a_pem_file_connects()
    {
        string pem = Path.Combine(Path.GetTempPath(), $"meowstik-ca-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(pem, _ca.ExportCertificatePem() + "\n");
        try
        {
            await using var agent = new MeshAgent(Options(tls => tls.TrustedCertificateAuthorityFiles.Add(pem)));
            using var stop = new CancellationTokenSource();
            Task run = agent.RunAsync(stop.Token);
            await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.True(_hub.Hub.IsOnline("pi-tls"));
            await stop.CancelAsync();
            await run;
        }
        finally
        {
            File.Delete(pem);
        }
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
            Assert.False(_hub.Hub.IsOnline("pi-tls"));
            await stop.CancelAsync();
            await run;
        }
    }
}
