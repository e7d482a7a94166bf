using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Meowstik.Hub.AspNetCore;

/// <summary>
/// The server side of the RFC 6455 opening handshake over HTTP/1.1, done here rather than by <c>AcceptWebSocketAsync</c> so the
/// hub receives the upgraded transport stream and can write to it in batches. The request was already validated as a
/// WebSocket request (<c>HttpContext.WebSockets.IsWebSocketRequest</c>: GET, <c>Upgrade</c>, version 13, a 16-byte key).
/// No subprotocol and no compression are negotiated, as with the default accept.
/// </summary>
internal static class WebSocketUpgrade
{
    // RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing.
    private const string KeyGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>True when the request can be upgraded here (HTTP/1.1 upgrade); HTTP/2 WebSockets use the default accept.</summary>
    public static bool CanUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
        && !string.IsNullOrEmpty(context.Request.Headers.SecWebSocketKey);

    /// <summary>Sends <c>101 Switching Protocols</c> with the accept key and returns the raw duplex stream.</summary>
    public static async Task<Stream> UpgradeAsync(HttpContext context)
    {
        IHttpUpgradeFeature upgrade = context.Features.Get<IHttpUpgradeFeature>()!;
        // A long-lived connection must not be cut by the request-timeouts middleware, as the default accept also ensures.
        context.Features.Get<IHttpRequestTimeoutFeature>()?.DisableTimeout();
        DisableKestrelDataRates(context);
        IHeaderDictionary headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(context.Request.Headers.SecWebSocketKey.ToString());
        return await upgrade.UpgradeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Kestrel enforces a minimum response data rate (240 B/s after a 5 s grace) on upgraded connections too: left on, it
    /// aborts a slow reader on its own, without a close code, metric or audit row. The hub's <c>WriteDeadline</c> is the one
    /// slow-consumer rule, so Kestrel's is turned off for mesh connections.
    /// </summary>
    public static void DisableKestrelDataRates(HttpContext context)
    {
        if (context.Features.Get<IHttpMinResponseDataRateFeature>() is { } response) response.MinDataRate = null;
        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } request) request.MinDataRate = null;
    }

    /// <summary>base64(SHA-1(key + GUID)), RFC 6455 §4.2.2.</summary>
    public static string AcceptKey(string key)
    {
        Span<byte> input = stackalloc byte[128];
        int length = Encoding.ASCII.GetBytes(key.Trim() + KeyGuid, input);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..length], hash);
        return Convert.ToBase64String(hash);
    }
}
