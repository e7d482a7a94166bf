namespace Meowstik.Agent.Openpilot;

/// <summary>Why a Cap'n Proto message (or a pointer in it) could not be read. <see cref="None"/> means it could.</summary>
public enum CapnpError
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The buffer is shorter than its segment table says (or shorter than a segment table).</summary>
    Truncated,

    /// <summary>The segment table is malformed: too many segments (more than <see cref="CapnpMessage.MaxSegments"/>).</summary>
    BadSegmentTable,

    /// <summary>A pointer points outside its segment, or names a segment that does not exist.</summary>
    OutOfBounds,

    /// <summary>A pointer has the wrong kind: a list where a struct was expected, a capability, or a text that is not a byte list.</summary>
    UnexpectedPointer,

    /// <summary>A far pointer's landing pad is malformed (a far pointer where a struct/list pointer must be, or vice versa).</summary>
    BadFarPointer,

    /// <summary>Following pointers went deeper than <see cref="CapnpMessage.MaxDepth"/>.</summary>
    NestingLimit,

    /// <summary>A text is not NUL-terminated.</summary>
    BadText,
}
