using System.Text;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hub.Tests.Routing;

public sealed class BackplaneTests
{
    [Fact]
    public async Task A_target_not_connected_here_is_handed_to_the_backplane_and_presence_is_published()
    {
        var backplane = new RecordingBackplane(remoteDevices: ["tv-remote"]);
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureServices = s => s.AddSingleton<IMeshBackplane>(backplane) });
        await using TestMeshClient creator = await host.ConnectUserAsync(MeshRole.Creator, "creator-phone");

        await creator.SendAsync("""{"id":"far","type":"command","to":"tv-remote","payload":{"action":"power"}}""");
        await Eventually.TrueAsync(() => backplane.Routed.Count == 1, "the backplane received the message");
        using (JsonDocument routed = JsonDocument.Parse(backplane.Routed.Single().Message))
        {
            Assert.Equal("tv-remote", backplane.Routed.Single().DeviceId);
            Assert.Equal("creator-phone", routed.RootElement.GetProperty("from").GetString());
            Assert.Equal("far", routed.RootElement.GetProperty("id").GetString());
        }
        Assert.True(await creator.NothingMatchingAsync(m => m.Type() == "error", TimeSpan.FromMilliseconds(200)));

        // Nobody holds this one: device_offline/unknown_device as usual.
        await creator.SendAsync("""{"id":"none","type":"command","to":"tv-nowhere","payload":{"action":"power"}}""");
        Assert.Equal("unknown_device", (await creator.ReceiveAsync(m => m.Str("correlation_id") == "none")).ErrorCode());

        Assert.Contains(("creator-phone", true), backplane.Presence);

        // Messages from other nodes are delivered to local devices through the attached delivery.
        Assert.True(backplane.Delivery!.DeliverLocal("creator-phone",
            """{"id":"x1","type":"event","from":"tv-remote","to":"creator-phone","timestamp":"2026-01-19T12:00:00.000Z","payload":{"event":"remote_hello"}}"""u8));
        Assert.Equal("tv-remote", (await creator.ReceiveAsync(m => m.IsEvent("remote_hello"))).Str("from"));
        Assert.False(backplane.Delivery.DeliverLocal("not-here", "{}"u8));
    }

    private sealed class RecordingBackplane(string[] remoteDevices) : IMeshBackplane
    {
        public IMeshBackplaneDelivery? Delivery { get; private set; }

        public List<(string DeviceId, byte[] Message)> Routed { get; } = [];

        public List<(string DeviceId, bool Online)> Presence { get; } = [];

        public void Attach(IMeshBackplaneDelivery delivery) => Delivery = delivery;

        public bool TryRouteRemote(ReadOnlySpan<char> deviceId, ReadOnlySpan<byte> message)
        {
            if (!remoteDevices.Contains(deviceId.ToString())) return false;
            lock (Routed) Routed.Add((deviceId.ToString(), message.ToArray()));
            return true;
        }

        public void PublishPresence(string deviceId, bool online, DateTimeOffset at)
        {
            lock (Presence) Presence.Add((deviceId, online));
        }
    }
}
