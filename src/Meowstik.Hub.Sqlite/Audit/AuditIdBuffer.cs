using System.Runtime.CompilerServices;

namespace Meowstik.Hub.Sqlite;

/// <summary>
/// Room for a UTF-8 message id inside a queued record, so that <see cref="SqliteAuditSink.TryWriteMessage"/> copies the id
/// from the wire instead of allocating a string per message. Generated ids are at most 38 bytes; longer client ids fall
/// back to a string.
/// </summary>
[InlineArray(Size)]
internal struct AuditIdBuffer
{
    public const int Size = 64;

    private byte _element0;
}
