using System.Diagnostics;
using Meowstik.Agent;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Meowstik.Agent.Tests.Integration;

/// <summary>An error the hub answers a request with reaches the request at once: the hub sends it with the request's id as correlation_id.</summary>
public sealed class RateLimitedRequestTests : IDisposable
{
    private readonly ILoggerFactory _logs;

    public RateLimitedRequestTests(ITestOutputHelper output)
    {
        _logs = XunitLoggerProvider.Factory(output);
    }

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task A_query_the_hub_rate_limits_fails_at_once_with_rate_limited()
    {
        // A burst of one: the register message takes it, and the bucket refills once every 1,000 s, so the query is over the limit.
        await using MeshTestHub hub = await MeshTestHub.StartAsync(o =>
        {
            o.RateLimitBurst = 1;
            o.RateLimitPerSecond = 0.001;
        });
        var options = new MeshAgentOptions
        {
            HubUri = hub.MeshUri,
            DeviceId = "phone-001",
            DeviceType = "phone",
            Token = await hub.IssueCreatorTokenAsync("Jason"),
        };
        await using var agent = new MeshAgent(options, [], _logs);
        using var stop = new CancellationTokenSource();
        Task run = agent.RunAsync(stop.Token);
        try
        {
            await agent.WaitUntilOnlineAsync().WaitAsync(TimeSpan.FromSeconds(15));

            var elapsed = Stopwatch.StartNew();
            MeshRequestException limited = await Assert.ThrowsAsync<MeshRequestException>(
                () => agent.QueryAsync("comma3x-001", "status", timeout: TimeSpan.FromSeconds(30)));
            elapsed.Stop();

            Assert.Equal(MeshErrorCodes.RateLimited, limited.Code);
            // Well before its 30 s timeout: the hub's error named the query, so it did not wait for the timeout.
            Assert.True(elapsed.Elapsed < TimeSpan.FromSeconds(10), $"The query failed after {elapsed.Elapsed}.");
        }
        finally
        {
            await stop.CancelAsync();
            await run.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }
}
