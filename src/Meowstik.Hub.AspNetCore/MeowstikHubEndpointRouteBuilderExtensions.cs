using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Hub.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the mesh WebSocket endpoints of the design document onto a <see cref="MeshHub"/>.</summary>
public static class MeowstikHubEndpointRouteBuilderExtensions
{
    private const string WebSocketsAddedKey = "Meowstik.Hub.WebSocketsAdded";

    /// <summary>
    /// Maps <c>/ws/mesh</c>, <c>/ws/desktop/agent/{sessionId}</c>, <c>/ws/extension/{sessionId}</c>,
    /// <c>/ws/homeserver/{serverId}</c>, <c>/ws/vehicle/{vehicleId}</c> and <c>/api/live/stream/{sessionId}</c>. The token is
    /// taken from <c>?token=</c>, then <c>Authorization: Bearer</c>; without either, the device must send the register payload's
    /// <c>auth_token</c>. Non-WebSocket requests get 400. Also maps <c>POST /api/mesh/catch-phrase</c> (body
    /// <c>{"phrase": "…"}</c>): a family member's phone exchanges its catch phrase for a short-lived family token (401 when it
    /// does not match, 429 with <c>Retry-After</c> after repeated failures from the same address). TLS (<c>wss://</c>) is Kestrel's normal HTTPS configuration.
    /// When <paramref name="endpoints"/> is the application (a <c>WebApplication</c>), the WebSockets middleware is added too.
    /// </summary>
    /// <returns>A builder for conventions on all the mesh endpoints (authorization policies, host filters…).</returns>
    public static IEndpointConventionBuilder MapMeowstikHub(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints is IApplicationBuilder app && !app.Properties.ContainsKey(WebSocketsAddedKey))
        {
            app.Properties[WebSocketsAddedKey] = true;
            app.UseWebSockets();
        }
        RouteGroupBuilder group = endpoints.MapGroup("");
        group.Map("/ws/mesh", context => AcceptAsync(context, MeshPathKind.Mesh, null));
        group.Map("/ws/desktop/agent/{sessionId}", context => AcceptAsync(context, MeshPathKind.DesktopAgent, "sessionId"));
        group.Map("/ws/extension/{sessionId}", context => AcceptAsync(context, MeshPathKind.Extension, "sessionId"));
        group.Map("/ws/homeserver/{serverId}", context => AcceptAsync(context, MeshPathKind.HomeServer, "serverId"));
        group.Map("/ws/vehicle/{vehicleId}", context => AcceptAsync(context, MeshPathKind.Vehicle, "vehicleId"));
        group.Map("/api/live/stream/{sessionId}", context => AcceptAsync(context, MeshPathKind.LiveStream, "sessionId"));
        group.MapPost("/api/mesh/catch-phrase", (RequestDelegate)ExchangeCatchPhraseAsync);
        return group;
    }

    // POST {"phrase": "..."} → 200 {"token", "token_id", "expires_at", "permitted_devices"} | 400 | 401 | 429 (Retry-After).
    private static async Task ExchangeCatchPhraseAsync(HttpContext context)
    {
        MeshHub hub = context.RequestServices.GetRequiredService<MeshHub>();
        if (hub.CatchPhrases is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        string? phrase = await ReadPhraseAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        if (phrase is null)
        {
            await WriteJsonAsync(context, StatusCodes.Status400BadRequest, w => w.WriteString("error", "Send {\"phrase\": \"...\"} as JSON.")).ConfigureAwait(false);
            return;
        }
        string source = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        CatchPhraseExchangeResult result = await hub.ExchangeCatchPhraseAsync(phrase, source, context.RequestAborted).ConfigureAwait(false);
        if (result.Succeeded)
        {
            IssuedToken token = result.Token;
            await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
            {
                w.WriteString("token", token.Secret);
                w.WriteString("token_id", token.TokenId);
                w.WriteString("expires_at", token.ExpiresAt);
                w.WriteStartArray("permitted_devices");
                foreach (string device in token.Identity.PermittedDevices) w.WriteStringValue(device);
                w.WriteEndArray();
            }).ConfigureAwait(false);
            return;
        }
        if (result.Failure == CatchPhraseFailure.RateLimited)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(result.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WriteJsonAsync(context, StatusCodes.Status429TooManyRequests, w => w.WriteString("error", result.Failure.ToCode())).ConfigureAwait(false);
            return;
        }
        await WriteJsonAsync(context, StatusCodes.Status401Unauthorized, w => w.WriteString("error", result.Failure.ToCode())).ConfigureAwait(false);
    }

    private static async Task<string?> ReadPhraseAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        const int MaxBody = 4096;
        if (request.ContentLength > MaxBody) return null;
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxBody) return null;
            buffer.Write(chunk, 0, read);
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(buffer.ToArray());
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("phrase", out JsonElement value)
                && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task AcceptAsync(HttpContext context, MeshPathKind kind, string? routeKey)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("This is a Meowstik mesh WebSocket endpoint; connect with a WebSocket client.", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        MeshHub hub = context.RequestServices.GetRequiredService<MeshHub>();
        string? pathId = routeKey is null ? null : context.Request.RouteValues[routeKey] as string;
        var info = new MeshConnectionInfo(context.Connection.RemoteIpAddress?.ToString(), kind, pathId, TokenOf(context.Request));
        if (WebSocketUpgrade.CanUpgrade(context))
        {
            // HTTP/1.1: the hub gets the transport stream and writes each burst with one socket write.
            Stream transport = await WebSocketUpgrade.UpgradeAsync(context).ConfigureAwait(false);
            await hub.HandleConnectionAsync(transport, info, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        WebSocketUpgrade.DisableKestrelDataRates(context);
        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = hub.Options.HeartbeatInterval,
        }).ConfigureAwait(false);
        await hub.HandleConnectionAsync(socket, info, context.RequestAborted).ConfigureAwait(false);
    }

    private static string? TokenOf(HttpRequest request)
    {
        StringValues query = request.Query["token"];
        if (!StringValues.IsNullOrEmpty(query)) return query.ToString();
        string? authorization = request.Headers.Authorization;
        const string Bearer = "Bearer ";
        if (authorization is not null && authorization.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            string token = authorization[Bearer.Length..].Trim();
            return token.Length > 0 ? token : null;
        }
        return null;
    }
}
