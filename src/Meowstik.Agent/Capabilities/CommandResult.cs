namespace Meowstik.Agent;

/// <summary>
/// What a capability handler returns: a success with an optional JSON result (sent as a <c>response</c>),
/// or a failure with a code and a message (sent as an <c>error</c>).
/// </summary>
public sealed class CommandResult
{
    private static readonly CommandResult EmptyOk = new(true, "ok", MeshJson.None, null, null);

    private CommandResult(bool isSuccess, string? status, MeshJson result, string? errorCode, string? errorMessage)
    {
        IsSuccess = isSuccess;
        Status = status;
        Result = result;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
    }

    /// <summary>Whether the action succeeded.</summary>
    public bool IsSuccess { get; }

    /// <summary>The response's <c>status</c> (for example <c>ok</c>); null for failures.</summary>
    public string? Status { get; }

    /// <summary>The response's <c>result</c>; <see cref="MeshJson.None"/> when there is none.</summary>
    public MeshJson Result { get; }

    /// <summary>The error code of a failure (see <see cref="Meowstik.Protocol.MeshErrorCodes"/> or your own snake_case codes).</summary>
    public string? ErrorCode { get; }

    /// <summary>A human-readable, safe-to-share error message.</summary>
    public string? ErrorMessage { get; }

    /// <summary>Success without a result.</summary>
    /// <returns>The result.</returns>
    public static CommandResult Ok() => EmptyOk;

    /// <summary>Success with a result value.</summary>
    /// <param name="result">The result.</param>
    /// <param name="status">The response status; <c>ok</c> by default.</param>
    /// <returns>The result.</returns>
    public static CommandResult Ok(MeshJson result, string status = "ok")
    {
        ArgumentException.ThrowIfNullOrEmpty(status);
        return new CommandResult(true, status, result, null, null);
    }

    /// <summary>Success with a JSON object result whose properties the callback writes.</summary>
    /// <param name="writeProperties">Writes the result object's properties.</param>
    /// <returns>The result.</returns>
    public static CommandResult Ok(Action<System.Text.Json.Utf8JsonWriter> writeProperties) =>
        Ok(MeshJson.Object(writeProperties));

    /// <summary>A failure answered with an <c>error</c> message.</summary>
    /// <param name="code">A snake_case error code.</param>
    /// <param name="message">A message safe to show to the requester.</param>
    /// <returns>The result.</returns>
    public static CommandResult Fail(string code, string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        ArgumentNullException.ThrowIfNull(message);
        return new CommandResult(false, null, MeshJson.None, code, message);
    }
}
