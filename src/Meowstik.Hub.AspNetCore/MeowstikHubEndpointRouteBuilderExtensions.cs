using System.Buffers;
using System.Text.Json;
using Meowstik.Hub.Core;
using Meowstik.Protocol;
using Meowstik.Hub.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the mesh WebSocket endpoints of the design document onto a <see cref="MeshHub"/>.</summary>
public static class MeowstikHubEndpointRouteBuilderExtensions
{
    /// <summary>The path of the catch-phrase exchange: <c>/api/mesh/catch-phrase</c>.</summary>
    public const string CatchPhrasePath = "/api/mesh/catch-phrase";

    /// <summary>
    /// Maps <c>/ws/mesh</c>, <c>/ws/desktop/agent/{sessionId}</c>, <c>/ws/extension/{sessionId}</c>,
    /// <c>/ws/homeserver/{serverId}</c>, <c>/ws/vehicle/{vehicleId}</c> and <c>/api/live/stream/{sessionId}</c> under
    /// <see cref="MeshHubEndpointOptions.PathPrefix"/> (none by default; configuration key <c>Meowstik:Hub:Endpoints:PathPrefix</c>),
    /// and <c>POST /api/mesh/catch-phrase</c> too when <see cref="MeshHubEndpointOptions.EnableCatchPhrase"/> is set. The token
    /// is taken from <c>?token=</c>, then <c>Authorization: Bearer</c>; without either, the device must send the register
    /// payload's <c>auth_token</c>. Non-WebSocket requests get 400. The WebSocket handshake (HTTP/1.1 upgrade, or HTTP/2
    /// extended CONNECT) is done here, so no <c>UseWebSockets()</c> is needed and the endpoints work inside any route group
    /// (<c>app.MapGroup("/mesh").MapMeowstikHub()</c>). TLS (<c>wss://</c>) is Kestrel's normal HTTPS configuration.
    /// </summary>
    /// <returns>A builder for conventions on all the mesh endpoints (authorization policies, host filters…).</returns>
    public static IEndpointConventionBuilder MapMeowstikHub(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        MeshHubEndpointOptions options = EndpointOptions(endpoints);
        return Map(endpoints, options.PathPrefix, options.EnableCatchPhrase);
    }

    /// <summary>
    /// Maps the mesh endpoints as <see cref="MapMeowstikHub(IEndpointRouteBuilder)"/> does, under <paramref name="pathPrefix"/>
    /// (for example <c>/mesh</c>: <c>/mesh/ws/mesh</c>, <c>/mesh/ws/vehicle/{vehicleId}</c>…) instead of the configured prefix.
    /// </summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="pathPrefix">Empty, or a path starting with <c>/</c>.</param>
    public static IEndpointConventionBuilder MapMeowstikHub(this IEndpointRouteBuilder endpoints, string pathPrefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return Map(endpoints, pathPrefix, EndpointOptions(endpoints).EnableCatchPhrase);
    }

    /// <summary>
    /// Maps the anonymous <c>POST /api/mesh/catch-phrase</c> (body <c>{"phrase": "…"}</c>): a family member's phone exchanges
    /// its catch phrase for a short-lived family token, <c>{"token", "token_id", "expires_at", "permitted_devices"}</c>. 401 when
    /// it does not match, 429 with <c>Retry-After</c> after repeated failures from the same address, 404 when the hub has no
    /// catch-phrase registry. Not mapped by default; <see cref="MeshHubEndpointOptions.EnableCatchPhrase"/> has
    /// <c>MapMeowstikHub()</c> map it under the same prefix.
    /// </summary>
    /// <param name="endpoints">The application or a route group.</param>
    /// <param name="pattern">The route; <see cref="CatchPhrasePath"/> by default.</param>
    public static IEndpointConventionBuilder MapMeowstikCatchPhrase(this IEndpointRouteBuilder endpoints, string pattern = CatchPhrasePath)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        return endpoints.MapPost(pattern, (RequestDelegate)ExchangeCatchPhraseAsync);
    }

    private static MeshHubEndpointOptions EndpointOptions(IEndpointRouteBuilder endpoints) =>
        endpoints.ServiceProvider.GetService<IOptions<MeshHubEndpointOptions>>()?.Value ?? new MeshHubEndpointOptions();

    private static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, string? pathPrefix, bool catchPhrase)
    {
        RouteGroupBuilder group = endpoints.MapGroup(MeshHubEndpointOptions.Normalize(pathPrefix));
        // The design document's paths, shared with agents through MeshPaths.
        group.Map(MeshPaths.Mesh, context => AcceptAsync(context, MeshPathKind.Mesh, null));
        group.Map(MeshPaths.DesktopAgent + "{sessionId}", context => AcceptAsync(context, MeshPathKind.DesktopAgent, "sessionId"));
        group.Map(MeshPaths.Extension + "{sessionId}", context => AcceptAsync(context, MeshPathKind.Extension, "sessionId"));
        group.Map(MeshPaths.HomeServer + "{serverId}", context => AcceptAsync(context, MeshPathKind.HomeServer, "serverId"));
        group.Map(MeshPaths.Vehicle + "{vehicleId}", context => AcceptAsync(context, MeshPathKind.Vehicle, "vehicleId"));
        group.Map(MeshPaths.LiveStream + "{sessionId}", context => AcceptAsync(context, MeshPathKind.LiveStream, "sessionId"));
        if (catchPhrase) group.MapMeowstikCatchPhrase();
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
        WebSocketUpgrade.Kind upgrade = WebSocketUpgrade.Classify(context);
        if (upgrade == WebSocketUpgrade.Kind.None)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("This is a Meowstik mesh WebSocket endpoint; connect with a WebSocket client.", context.RequestAborted).ConfigureAwait(false);
            return;
        }
        IServiceProvider services = context.RequestServices;
        MeshHub hub = services.GetRequiredService<MeshHub>();
        // The hub's own shutdown, not the request's: a client that goes away is a client disconnect, and the host stopping
        // (ApplicationStopping) is what closes connections with 1001.
        CancellationToken stopping = services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        string? pathId = routeKey is null ? null : context.Request.RouteValues[routeKey] as string;
        var info = new MeshConnectionInfo(context.Connection.RemoteIpAddress?.ToString(), kind, pathId, TokenOf(context.Request));
        // The hub gets the transport stream (HTTP/1.1 upgrade or HTTP/2 stream) and writes each burst with one write.
        Stream transport = await WebSocketUpgrade.AcceptAsync(context, upgrade).ConfigureAwait(false);
        await hub.HandleConnectionAsync(transport, info, stopping).ConfigureAwait(false);
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
