using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Tests.Attacks;

/// <summary>Finding 9: ASP.NET Core's request logging wrote <c>GET /ws/mesh?token=mtk_…</c> at Information.</summary>
public sealed class TokenLoggingAttackTests
{
    [Fact]
    public async Task A_token_in_the_query_string_appears_in_no_log_line_even_at_trace_level()
    {
        var capture = new CapturingLoggerProvider();
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureServices = s => s.AddLogging(b =>
        {
            b.AddProvider(capture);
            b.SetMinimumLevel(LogLevel.Trace);
        }) });
        IssuedToken token = await host.IssueDeviceAsync("tv-001");
        await using (TestMeshClient device = await host.ConnectAsync(token.Secret))
        {
            await device.RegisterAsync("tv-001", ["tv"]);
            await device.SendAsync("""{"type":"heartbeat"}""");
            await device.ReceiveTypeAsync("heartbeat");
        }
        // A wrong token in the URL must not be logged either.
        await using (TestMeshClient intruder = await host.ConnectAsync("mtk_" + new string('A', 43)))
        {
            await intruder.SendAsync("""{"type":"register","from":"tv-001","payload":{"capabilities":[]}}""");
            await intruder.WaitClosedAsync();
        }
        await Eventually.TrueAsync(() => !host.Hub.IsOnline("tv-001"), "the device left");

        Assert.NotEmpty(capture.Lines); // the capture works: trace-level lines from the host and the hub are there
        Assert.Contains(capture.Lines, l => l.Category.StartsWith("Meowstik", StringComparison.Ordinal));
        Assert.DoesNotContain(capture.Lines, l => l.Text.Contains(token.Secret, StringComparison.Ordinal) || l.Text.Contains("token=", StringComparison.Ordinal));
    }
}
