using System.Net.WebSockets;
using Meowstik.Hub;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the mesh WebSocket endpoints of the design document onto a <see cref="MeshHub"/>.</summary>
public static class MeowstikMeshEndpointRouteBuilderExtensions
{
    private const string WebSocketsAddedKey = "Meowstik.Hub.WebSocketsAdded";

    /// <summary>
    /// Maps <c>/ws/mesh</c>, <c>/ws/desktop/agent/{sessionId}</c>, <c>/ws/extension/{sessionId}</c>,
    /// <c>/ws/homeserver/{serverId}</c>, <c>/ws/vehicle/{vehicleId}</c> and <c>/api/live/stream/{sessionId}</c>. The token is
    /// taken from <c>?token=</c>, then <c>Authorization: Bearer</c>; without either, the device must send the register payload's
    /// <c>auth_token</c>. Non-WebSocket requests get 400. TLS (<c>wss://</c>) is Kestrel's normal HTTPS configuration.
    /// When <paramref name="endpoints"/> is the application (a <c>WebApplication</c>), the WebSockets middleware is added too.
    /// </summary>
    /// <returns>A builder for conventions on all the mesh endpoints (authorization policies, host filters…).</returns>
    public static IEndpointConventionBuilder MapMeowstikMesh(this IEndpointRouteBuilder endpoints)
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
        return group;
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
