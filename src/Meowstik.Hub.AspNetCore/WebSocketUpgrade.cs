using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Primitives;

namespace Meowstik.Hub.AspNetCore;

/// <summary>
/// The server side of the WebSocket opening handshake, done here rather than by <c>AcceptWebSocketAsync</c> so that the hub
/// receives the transport stream (and writes to it in batches) and so that no <c>UseWebSockets()</c> middleware is needed:
/// the endpoints then work in any route group. HTTP/1.1: RFC 6455 upgrade (GET, <c>Upgrade: websocket</c>, version 13, a
/// 16-byte key, <c>101 Switching Protocols</c>). HTTP/2: RFC 8441 extended CONNECT (<c>:protocol websocket</c>, version 13,
/// <c>200</c>). No subprotocol and no compression are negotiated, as with the default accept.
/// </summary>
internal static class WebSocketUpgrade
{
    // RFC 6455 §1.3: the GUID appended to Sec-WebSocket-Key before hashing.
    private const string KeyGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>What kind of WebSocket request this is, if any.</summary>
    public enum Kind
    {
        /// <summary>Not a (valid) WebSocket request.</summary>
        None,

        /// <summary>An HTTP/1.1 upgrade.</summary>
        Http1Upgrade,

        /// <summary>An HTTP/2 (or HTTP/3) extended CONNECT.</summary>
        ExtendedConnect,
    }

    /// <summary>Recognizes a valid WebSocket opening request, as <c>HttpContext.WebSockets.IsWebSocketRequest</c> would.</summary>
    public static Kind Classify(HttpContext context)
    {
        HttpRequest request = context.Request;
        if (!string.Equals(request.Headers.SecWebSocketVersion, "13", StringComparison.Ordinal)) return Kind.None;
        if (context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            return HttpMethods.IsConnect(request.Method) && string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase)
                ? Kind.ExtendedConnect
                : Kind.None;
        }

        return context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true }
            && HttpMethods.IsGet(request.Method)
            && HasToken(request.Headers.Upgrade, "websocket")
            && IsValidKey(request.Headers.SecWebSocketKey)
            ? Kind.Http1Upgrade
            : Kind.None;
    }

    /// <summary>Completes the handshake (101, or 200 for extended CONNECT) and returns the raw duplex stream.</summary>
    public static async Task<Stream> AcceptAsync(HttpContext context, Kind kind)
    {
        // A long-lived connection must not be cut by the request-timeouts middleware, as the default accept also ensures.
        context.Features.Get<IHttpRequestTimeoutFeature>()?.DisableTimeout();
        DisableKestrelDataRates(context);
        if (kind == Kind.ExtendedConnect)
        {
            return await context.Features.Get<IHttpExtendedConnectFeature>()!.AcceptAsync().ConfigureAwait(false);
        }

        IHeaderDictionary headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = AcceptKey(context.Request.Headers.SecWebSocketKey.ToString());
        return await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Kestrel enforces a minimum response data rate (240 B/s after a 5 s grace) on upgraded connections too: left on, it
    /// aborts a slow reader on its own, without a close code, metric or audit row. The hub's <c>WriteDeadline</c> is the one
    /// slow-consumer rule, so Kestrel's is turned off for mesh connections.
    /// </summary>
    public static void DisableKestrelDataRates(HttpContext context)
    {
        try
        {
            if (context.Features.Get<IHttpMinResponseDataRateFeature>() is { } response) response.MinDataRate = null;
            if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } request) request.MinDataRate = null;
        }
        catch (NotSupportedException)
        {
            // HTTP/2 and HTTP/3 streams have no per-request data rates to turn off.
        }
    }

    private static bool HasToken(StringValues values, string token)
    {
        foreach (string? value in values)
        {
            foreach (Range part in value.AsSpan().Split(','))
            {
                if (value.AsSpan()[part].Trim().Equals(token, StringComparison.OrdinalIgnoreCase)) return true;
            }
        }

        return false;
    }

    // RFC 6455 §4.2.1: the key is the base64 encoding of 16 bytes.
    private static bool IsValidKey(StringValues key)
    {
        if (key.Count != 1 || key[0] is not { Length: 24 } text) return false;
        Span<byte> decoded = stackalloc byte[18];
        return Convert.TryFromBase64String(text, decoded, out int written) && written == 16;
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
