namespace Meowstik.Protocol;

/// <summary>Outcome of <see cref="WebSocketMessageReader.ReceiveAsync"/>.</summary>
public enum ReceiveStatus
{
    /// <summary>A complete message is in <see cref="WebSocketMessageReader.Current"/>.</summary>
    Message,
    /// <summary>The peer sent a close frame (see <see cref="System.Net.WebSockets.WebSocket.CloseStatus"/>); reply with a close.</summary>
    Closed,
    /// <summary>A message exceeded the size limit; its bytes were discarded. Close with <see cref="MeshCloseCodes.MessageTooBig"/> or answer with an error.</summary>
    TooLarge,
    /// <summary>A text message was not valid UTF-8; it was discarded. Close with <see cref="MeshCloseCodes.InvalidPayload"/> or answer with an error.</summary>
    InvalidUtf8,
}
