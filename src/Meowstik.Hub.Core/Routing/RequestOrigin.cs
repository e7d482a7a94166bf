
using Meowstik.Protocol;

namespace Meowstik.Hub.Core;

/// <summary>Where a response goes, copied out of a <see cref="PendingRequest"/> while the correlation table's lock is held.</summary>
internal readonly record struct RequestOrigin(
    MeshConnection? Requester,
    TaskCompletionSource<MeshReply>? HostWaiter,
    string? Action,
    long StartTimestamp);
