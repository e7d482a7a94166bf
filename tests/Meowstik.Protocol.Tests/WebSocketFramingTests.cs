using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Meowstik.Protocol;
using Meowstik.Protocol.Tests.Support;

namespace Meowstik.Protocol.Tests;

public class WebSocketFramingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static byte[] Event(string name, int padding = 0) =>
        Encoding.UTF8.GetBytes($"{{\"type\":\"event\",\"from\":\"cam-1\",\"payload\":{{\"event\":\"{name}\",\"pad\":\"{new string('p', padding)}\"}}}}");

    [Fact]
    public async Task Reassembles_fragmented_messages_and_decodes_them_from_the_pipe()
    {
        using WebSocketPair pair = await WebSocketPair.ConnectAsync();
        using var reader = new WebSocketMessageReader(pair.Server);
        using var cts = new CancellationTokenSource(Timeout);

        // A small message in 5 frames, then a 200 KB one in 7 frames (it spans many pipe segments).
        foreach (byte[] message in new[] { Event("small"), Event("large", 200_000) })
        {
            int step = Math.Max(1, message.Length / 7 + 1);
            for (int offset = 0; offset < message.Length; offset += step)
            {
                int count = Math.Min(step, message.Length - offset);
                await pair.Client.SendAsync(message.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == message.Length, cts.Token);
            }
        }

        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.Equal(WebSocketMessageType.Text, reader.CurrentType);
        Assert.True(EnvelopeReader.TryRead(reader.Current, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(EventPayload.TryRead(env.Payload, out EventPayload ev, out _));
        Assert.True(ev.Event.ValueEquals("small"u8));

        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.False(reader.Current.IsSingleSegment);
        Assert.Equal(Event("large", 200_000), reader.Current.ToArray());
        Assert.True(EnvelopeReader.TryRead(reader.Current, out env, out error), error.ToString());
        Assert.True(env.Payload.TryGetProperty("pad"u8, out Utf8JsonSlice pad));
        Assert.Equal(200_002, pad.Length);
    }

    [Fact]
    public async Task Oversized_message_is_rejected_and_the_connection_keeps_working()
    {
        using WebSocketPair pair = await WebSocketPair.ConnectAsync();
        using var reader = new WebSocketMessageReader(pair.Server, maxMessageBytes: 1024);
        using var cts = new CancellationTokenSource(Timeout);

        byte[] big = Event("big", 10_000);
        await pair.Client.SendAsync(big.AsMemory(0, 600), WebSocketMessageType.Text, false, cts.Token);
        await pair.Client.SendAsync(big.AsMemory(600), WebSocketMessageType.Text, true, cts.Token);
        await pair.Client.SendAsync(Event("after"), WebSocketMessageType.Text, true, cts.Token);
        byte[] exactlyAtLimit = Event("edge", 1024 - Event("edge").Length);
        Assert.Equal(1024, exactlyAtLimit.Length);
        await pair.Client.SendAsync(exactlyAtLimit, WebSocketMessageType.Text, true, cts.Token);

        Assert.Equal(ReceiveStatus.TooLarge, await reader.ReceiveAsync(cts.Token));
        Assert.Equal(big.Length, reader.LastRejectedSize);
        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.Equal(Event("after"), reader.Current.ToArray());
        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.Equal(exactlyAtLimit, reader.Current.ToArray());
        Assert.Equal(WebSocketState.Open, pair.Server.State);
    }

    [Fact]
    public async Task Close_from_the_peer_is_reported_as_Closed()
    {
        using WebSocketPair pair = await WebSocketPair.ConnectAsync();
        using var reader = new WebSocketMessageReader(pair.Server);
        using var cts = new CancellationTokenSource(Timeout);

        await pair.Client.SendAsync(Event("last"), WebSocketMessageType.Text, true, cts.Token);
        await pair.Client.CloseOutputAsync((WebSocketCloseStatus)MeshCloseCodes.GoingAway, "bye", cts.Token);

        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.Equal(ReceiveStatus.Closed, await reader.ReceiveAsync(cts.Token));
        Assert.Equal(MeshCloseCodes.GoingAway, (int)pair.Server.CloseStatus!.Value);
        Assert.Equal("bye", pair.Server.CloseStatusDescription);
    }

    [Fact]
    public async Task Invalid_utf8_text_is_refused_by_the_managed_websocket_with_close_1007()
    {
        // System.Net's managed WebSocket (also used by Kestrel and ClientWebSocket) validates text messages itself:
        // it closes with 1007 and throws before the message reaches the reader. ReceiveStatus.InvalidUtf8 is the
        // reader's own check for WebSocket implementations that do not validate.
        using WebSocketPair pair = await WebSocketPair.ConnectAsync();
        using var reader = new WebSocketMessageReader(pair.Server);
        using var cts = new CancellationTokenSource(Timeout);

        await pair.Client.SendAsync(new byte[] { (byte)'{', 0xC3, (byte)'}' }, WebSocketMessageType.Text, true, cts.Token);
        await Assert.ThrowsAsync<WebSocketException>(async () => await reader.ReceiveAsync(cts.Token));
        Assert.Equal(WebSocketState.Aborted, pair.Server.State);

        var buffer = new byte[16];
        ValueWebSocketReceiveResult result = await pair.Client.ReceiveAsync(buffer.AsMemory(), cts.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(MeshCloseCodes.InvalidPayload, (int)pair.Client.CloseStatus!.Value);
    }

    [Fact]
    public async Task Invalid_utf8_in_a_binary_message_is_not_a_framing_error_but_the_codec_rejects_it()
    {
        using WebSocketPair pair = await WebSocketPair.ConnectAsync();
        using var reader = new WebSocketMessageReader(pair.Server);
        using var cts = new CancellationTokenSource(Timeout);

        byte[] json = """{"type":"event","payload":{"event":"x"}}"""u8.ToArray();
        json[^5] = 0xFF;
        await pair.Client.SendAsync(json, WebSocketMessageType.Binary, true, cts.Token);
        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.Equal(WebSocketMessageType.Binary, reader.CurrentType);
        Assert.False(EnvelopeReader.TryRead(reader.Current, out _, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.InvalidUtf8, error.Code);
        Assert.Equal(json.Length - 5, error.Offset);
    }

    [Fact]
    public async Task Empty_messages_are_delivered_and_do_not_break_the_next_receive()
    {
        using WebSocketPair pair = await WebSocketPair.ConnectAsync();
        using var reader = new WebSocketMessageReader(pair.Server);
        using var cts = new CancellationTokenSource(Timeout);

        await pair.Client.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, true, cts.Token);
        await pair.Client.SendAsync(Event("next"), WebSocketMessageType.Text, true, cts.Token);
        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.True(reader.Current.IsEmpty);
        Assert.False(EnvelopeReader.TryRead(reader.Current, out _, out ProtocolError error));
        Assert.Equal(ProtocolErrorCode.MalformedJson, error.Code);
        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.Equal(Event("next"), reader.Current.ToArray());
    }

    [Fact]
    public async Task Writer_sends_envelopes_and_binary_frames_the_reader_decodes()
    {
        using WebSocketPair pair = await WebSocketPair.ConnectAsync();
        using var reader = new WebSocketMessageReader(pair.Client);
        using var writer = new WebSocketMessageWriter(pair.Server);
        using var cts = new CancellationTokenSource(Timeout);

        await writer.SendAsync(new EnvelopeHeader(MessageType.Command) { To = "alexa-001"u8 }, """{"action":"speak","params":{"text":"hi"}}"""u8, cts.Token);
        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.True(EnvelopeReader.TryRead(reader.Current, out MeshEnvelope env, out ProtocolError error), error.ToString());
        Assert.True(env.Id.ValueEquals(writer.Envelope.LastId));
        Assert.True(CommandPayload.TryRead(env.Payload, out CommandPayload command, out _));
        Assert.True(command.Action.ValueEquals("speak"u8));

        byte[] data = Enumerable.Range(0, 9000).Select(i => (byte)i).ToArray();
        using var frames = new BinaryStreamFrameWriter();
        frames.Write(writer.Buffer, new EnvelopeHeader(MessageType.Stream) { From = "cam-1"u8 }, new StreamChunkMetadata("video"u8) { FrameIndex = 3 }, data);
        await writer.SendAsync(writer.Buffer.WrittenMemory, WebSocketMessageType.Binary, cts.Token);
        writer.Buffer.Clear();
        Assert.Equal(ReceiveStatus.Message, await reader.ReceiveAsync(cts.Token));
        Assert.Equal(WebSocketMessageType.Binary, reader.CurrentType);
        Assert.True(BinaryStreamFrame.TryRead(reader.Current, out BinaryStreamFrame frame, out error), error.ToString());
        byte[] copy = new byte[frame.DataLength];
        Assert.True(frame.TryCopyDataTo(copy, out _));
        Assert.Equal(data, copy);
    }
}
