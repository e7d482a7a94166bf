namespace Meowstik.Hub.Core;

/// <summary>What the host knows about a connection before the first message: where it came from and which token it presented.</summary>
/// <param name="RemoteAddress">The peer's address (for audit, logs and auth rate limiting); null when unknown.</param>
/// <param name="PathKind">The endpoint the connection arrived on.</param>
/// <param name="PathId">The id segment of the path (session, server or vehicle id); null for <c>/ws/mesh</c>.</param>
/// <param name="Token">
/// The bearer token from the transport (<c>?token=</c> or <c>Authorization: Bearer</c>); null when the device sends it as the
/// register payload's <c>auth_token</c> instead.
/// </param>
public sealed record MeshConnectionInfo(string? RemoteAddress, MeshPathKind PathKind = MeshPathKind.Mesh, string? PathId = null, string? Token = null);
