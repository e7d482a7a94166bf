using Meowstik.Hub.Connections;

namespace Meowstik.Hub.Routing;

/// <summary>Where a response goes, copied out of a <see cref="PendingRequest"/> while the correlation table's lock is held.</summary>
internal readonly record struct RequestOrigin(
    MeshConnection? Requester,
    TaskCompletionSource<MeshResponse>? HostWaiter,
    string? Action,
    long StartTimestamp);
