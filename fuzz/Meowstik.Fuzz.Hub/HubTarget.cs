using System.Net.WebSockets;
using Meowstik.Hub.Core;
using Meowstik.Protocol;

namespace Meowstik.Fuzz.Hub;

/// <summary>
/// One fuzz execution against a long-lived in-process <see cref="MeshHub"/>. The input is a flags byte, then messages
/// separated by 0x00 (never part of valid JSON text). A fresh connection sends them as a registered device or creator;
/// then the checks: HandleConnectionAsync returned without throwing once the peer left, the connection is gone from the
/// hub, the long-lived probe connection still gets answers, everything the hub sent is a valid envelope, and memory stays
/// bounded across executions.
/// </summary>
/// <remarks>
/// Flags: bit 0 creator (else device); bit 1 skip registration (the messages arrive first); bit 2 send each message as
/// two frames; bit 3 serve through the transport-stream overload (batched writes) instead of the WebSocket overload.
/// A message starting with the binary-frame version byte is sent as a binary message, any other as text.
/// </remarks>
internal static class HubTarget
{
    private const int MaxMessages = 16;
    private const string FuzzDeviceId = "fuzz-001";
    private const string ProbeDeviceId = "probe-001";
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);
    private const long MemoryBudgetBytes = 512L * 1024 * 1024;

    private static readonly Lazy<Harness> s_harness = new(() => Harness.CreateAsync().GetAwaiter().GetResult());
    private static long s_executions;

    public static void Run(byte[] input) => RunAsync(input).GetAwaiter().GetResult();

    private static async Task RunAsync(byte[] input)
    {
        Harness harness = s_harness.Value;
        byte flags = input.Length > 0 ? input[0] : (byte)0;
        bool creator = (flags & 1) != 0, register = (flags & 2) == 0, fragmented = (flags & 4) != 0, overStream = (flags & 8) != 0;

        (Stream clientEnd, Stream serverEnd) = MemoryDuplex.Create();
        var info = new MeshConnectionInfo("127.0.0.2", MeshPathKind.Mesh, null, creator ? harness.CreatorToken : harness.DeviceToken);
        Task serving = overStream
            ? Task.Run(() => harness.Hub.HandleConnectionAsync(serverEnd, info))
            : Task.Run(() => ServeSocketAsync(harness.Hub, serverEnd, info));

        var client = new FuzzClient(clientEnd);
        await using (client.ConfigureAwait(false))
        {
            if (register)
            {
                string? reply = await client.RequestAsync("fuzz-reg", Harness.RegisterJson("fuzz-reg", FuzzDeviceId), AnswerTimeout).ConfigureAwait(false);
                Require(reply == "response", $"registration of the fuzz connection was answered with '{reply ?? "nothing"}'");
            }
            using var sending = new CancellationTokenSource(AnswerTimeout);
            foreach (ReadOnlyMemory<byte> message in Messages(input))
            {
                WebSocketMessageType type = BinaryStreamFrame.HasFramePrefix(message.Span) ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
                if (!await client.SendAsync(message, type, fragmented, sending.Token).ConfigureAwait(false)) break;
            }
            // A last hub request lets the hub get through the input before the peer leaves: it answers, or it closed the
            // connection on purpose (bad input may be refused either way, so the answer itself is not judged).
            await client.RequestAsync("fuzz-end", """{"id":"fuzz-end","type":"query","payload":{"action":"list_devices"}}""", AnswerTimeout).ConfigureAwait(false);
            Require(client.BadOutput is null, "the hub sent the fuzz connection a message that is not a valid envelope: " + client.BadOutput);
        }

        // The peer is gone: HandleConnectionAsync must return, and must not throw.
        Task finished = await Task.WhenAny(serving, Task.Delay(ExitTimeout)).ConfigureAwait(false);
        Require(finished == serving, $"HandleConnectionAsync did not return within {ExitTimeout.TotalSeconds} s of the peer leaving");
        await serving.ConfigureAwait(false);
        await harness.RequireCleanAsync().ConfigureAwait(false);

        if (Interlocked.Increment(ref s_executions) % 256 == 0)
        {
            long bytes = GC.GetTotalMemory(forceFullCollection: true);
            Require(bytes < MemoryBudgetBytes, $"managed heap is {bytes / (1024 * 1024)} MiB after {s_executions} executions");
        }
    }

    private static async Task ServeSocketAsync(MeshHub hub, Stream serverEnd, MeshConnectionInfo info)
    {
        using WebSocket socket = WebSocket.CreateFromStream(serverEnd, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.FromSeconds(30) });
        await hub.HandleConnectionAsync(socket, info).ConfigureAwait(false);
        await serverEnd.DisposeAsync().ConfigureAwait(false);
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Messages(byte[] input)
    {
        int start = 1, count = 0;
        while (start <= input.Length && count < MaxMessages)
        {
            int end = Array.IndexOf(input, (byte)0, start);
            if (end < 0) end = input.Length;
            if (end > start)
            {
                count++;
                yield return input.AsMemory(start, end - start);
            }
            start = end + 1;
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new InvariantException(message);
    }

    /// <summary>The hub, its tokens and the probe connection, built once and shared by every execution.</summary>
    private sealed class Harness
    {
        private long _probes;
        private readonly string _probeToken;

        private Harness(MeshHub hub, string deviceToken, string creatorToken, string probeToken)
        {
            Hub = hub;
            DeviceToken = deviceToken;
            CreatorToken = creatorToken;
            _probeToken = probeToken;
        }

        public MeshHub Hub { get; }
        public string DeviceToken { get; }
        public string CreatorToken { get; }
        private FuzzClient Probe { get; set; } = null!;
        private Task ProbeServing { get; set; } = Task.CompletedTask;

        public static string RegisterJson(string id, string deviceId) =>
            $$$"""{"id":"{{{id}}}","type":"register","from":"{{{deviceId}}}","payload":{"capabilities":["speak","status"],"features":["binary_streams"]}}""";

        public static async Task<Harness> CreateAsync()
        {
            var auth = new AuthManager(new MemoryTokenStore());
            var hub = new MeshHub(auth, new MeshHubOptions
            {
                AuditDeliveredMessages = false,
                // Requests the fuzz connection leaves unanswered expire quickly instead of piling up across executions.
                DefaultRequestTimeout = TimeSpan.FromSeconds(2),
                MaxRequestTimeout = TimeSpan.FromSeconds(5),
                // The probe is long-lived and answers every command the fuzz input routes to it: at a hundred executions
                // a second the default per-connection rate limit would drop its queries (an expected refusal, not a bug).
                // Each fuzz connection sends at most 17 messages, far under any burst, so nothing is lost by lifting it.
                RateLimitPerSecond = 1_000_000,
                RateLimitBurst = 1_000_000,
            });
            IssuedToken device = await hub.IssueTokenAsync(new TokenIssueRequest
            {
                Role = MeshRole.Device, Subject = "fuzz device", DeviceId = FuzzDeviceId, CommandGrants = [ProbeDeviceId],
            }).ConfigureAwait(false);
            IssuedToken creator = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Creator, Subject = "fuzz creator" }).ConfigureAwait(false);
            IssuedToken probe = await hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = "probe", DeviceId = ProbeDeviceId }).ConfigureAwait(false);
            var harness = new Harness(hub, device.Secret, creator.Secret, probe.Secret);
            await harness.ConnectProbeAsync().ConfigureAwait(false);
            return harness;
        }

        /// <summary>The fuzz connection left no trace, and the other connection is still served.</summary>
        public async Task RequireCleanAsync()
        {
            for (int attempt = 0; ; attempt++)
            {
                if (ProbeServing.IsCompleted && !Probe.IsClosed)
                {
                    // The client acknowledges the hub's close before it records it, so the hub may finish first: give the
                    // client a moment to record the close (and its code) before judging it.
                    await Task.WhenAny(Probe.Closed, Task.Delay(AnswerTimeout)).ConfigureAwait(false);
                }
                if (Probe.IsClosed && Probe.CloseCode == MeshCloseCodes.Replaced)
                {
                    // A creator may register under any id, probe-001 included, and the newer connection wins: the hub
                    // closed the probe on purpose. Connect a new one; any other close of the probe is a finding.
                    await ProbeServing.ConfigureAwait(false);
                    await Probe.DisposeAsync().ConfigureAwait(false);
                    await ConnectProbeAsync().ConfigureAwait(false);
                }
                Require(!Probe.IsClosed && !ProbeServing.IsCompleted, $"the hub dropped the probe connection (close code {Probe.CloseCode?.ToString() ?? "none"})");
                string id = "probe-" + Interlocked.Increment(ref _probes);
                string? answer = await Probe.RequestAsync(id, $$$$"""{"id":"{{{{id}}}}","type":"query","payload":{"action":"get_device","params":{"device_id":"{{{{ProbeDeviceId}}}}"}}}""", AnswerTimeout).ConfigureAwait(false);
                // The replacing close is sent asynchronously and can land while the query is on its way: retry once.
                if (answer != "response" && attempt == 0 && Probe.CloseCode == MeshCloseCodes.Replaced) continue;
                Require(answer == "response",
                    $"the probe's hub query was answered with '{answer ?? "nothing"}' (probe closed: {Probe.IsClosed}, close code {Probe.CloseCode?.ToString() ?? "none"}, " +
                    $"served: {!ProbeServing.IsCompleted}, hub connections: {Hub.ConnectionCount}, probe-001 online: {Hub.IsOnline(ProbeDeviceId)})");
                break;
            }
            Require(Probe.BadOutput is null, "the hub sent the probe a message that is not a valid envelope: " + Probe.BadOutput);
            Require(Hub.ConnectionCount == 1, $"{Hub.ConnectionCount} connections open after the fuzz connection ended (only the probe should be)");
        }

        private async Task ConnectProbeAsync()
        {
            (Stream clientEnd, Stream serverEnd) = MemoryDuplex.Create();
            ProbeServing = Task.Run(() => Hub.HandleConnectionAsync(serverEnd, new MeshConnectionInfo("127.0.0.1", MeshPathKind.Mesh, null, _probeToken)));
            Probe = new FuzzClient(clientEnd);
            string? reply = await Probe.RequestAsync("probe-reg", RegisterJson("probe-reg", ProbeDeviceId), AnswerTimeout).ConfigureAwait(false);
            if (reply != "response") throw new InvalidOperationException($"The probe could not register: '{reply ?? "no answer"}'.");
        }
    }
}
