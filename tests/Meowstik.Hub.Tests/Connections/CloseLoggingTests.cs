using System.Net.WebSockets;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meowstik.Hub.Tests.Connections;

/// <summary>How a connection ended is logged as what it was: the client closed it (with its status), the transport was aborted, or the hub shut down.</summary>
public sealed class CloseLoggingTests
{
    [Theory]
    [InlineData(WebSocketCloseStatus.NormalClosure, "bye", "1000 NormalClosure 'bye'")]
    [InlineData(WebSocketCloseStatus.EndpointUnavailable, "agent stopping", "1001 EndpointUnavailable 'agent stopping'")]
    public async Task A_client_close_is_logged_as_a_client_disconnect_with_the_status_it_sent(WebSocketCloseStatus status, string description, string logged)
    {
        var logs = new CapturingLoggerProvider();
        await using MeshTestHub host = await StartAsync(logs);
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");

        using var timeout = new CancellationTokenSource(TestMeshClient.DefaultTimeout);
        await tv.Socket.CloseOutputAsync(status, description, timeout.Token);
        await tv.WaitClosedAsync();
        await Eventually.TrueAsync(() => !host.Hub.IsOnline("tv-001"), "the hub saw the close");

        string[] lines = LinesAbout(logs, "tv-001");
        Assert.Contains(lines, l => l.Contains("closed by the client: " + logged, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("with 1001", StringComparison.Ordinal) || l.Contains("shutting down", StringComparison.Ordinal)
            || l.Contains("host ended", StringComparison.Ordinal) || l.Contains("transport was aborted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_vanishes_without_a_close_is_logged_as_a_transport_abort()
    {
        var logs = new CapturingLoggerProvider();
        await using MeshTestHub host = await StartAsync(logs);
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");

        tv.Socket.Abort();
        await Eventually.TrueAsync(() => !host.Hub.IsOnline("tv-001"), "the hub saw the connection go");

        await Eventually.TrueAsync(
            () => LinesAbout(logs, "tv-001").Any(l => l.Contains("lost: the transport was aborted", StringComparison.Ordinal)),
            "the abort was logged as one: " + string.Join(" | ", LinesAbout(logs, "tv-001")));
        Assert.DoesNotContain(LinesAbout(logs, "tv-001"), l => l.Contains("closed by the client", StringComparison.Ordinal) || l.Contains("shutting down", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stopping_the_hub_is_logged_as_the_hub_shutting_down_not_as_the_client()
    {
        var logs = new CapturingLoggerProvider();
        await using MeshTestHub host = await StartAsync(logs);
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");

        await host.Hub.StopAsync();

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, await tv.WaitClosedAsync());
        string[] lines = LinesAbout(logs, "tv-001");
        Assert.Contains(lines, l => l.Contains("with 1001: hub shutting down", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("closed by the client", StringComparison.Ordinal) || l.Contains("transport was aborted", StringComparison.Ordinal));
    }

    private static Task<MeshTestHub> StartAsync(CapturingLoggerProvider logs) =>
        MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureServices = s => s.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)) });

    // The hub's connection lines (not Debug transport details) naming the device.
    private static string[] LinesAbout(CapturingLoggerProvider logs, string deviceId) =>
        [.. logs.Lines.Where(l => l.Level >= LogLevel.Information && l.Category.StartsWith("Meowstik", StringComparison.Ordinal)
            && l.Text.Contains("(" + deviceId + ")", StringComparison.Ordinal)).Select(l => l.Text)];
}
