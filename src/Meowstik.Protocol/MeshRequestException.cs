namespace Meowstik.Protocol;

/// <summary>
/// A command or query failed: the target is offline or unknown, did not answer in time, refused it, or answered with an
/// <c>error</c>. Thrown by the agent's requests and by the hub's host API alike. <see cref="Code"/> is the error's code
/// (see <see cref="MeshErrorCodes"/>: <c>device_offline</c>, <c>unknown_device</c>, <c>timeout</c>, <c>rate_limited</c>,
/// <c>forbidden</c>, <c>unknown_action</c>, <c>handler_failed</c>…, or a device's own snake_case code).
/// </summary>
public sealed class MeshRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">The error message.</param>
    /// <param name="deviceId">The device the request was for, when known.</param>
    public MeshRequestException(string code, string message, string? deviceId = null)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(code);
        Code = code;
        DeviceId = deviceId;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public MeshRequestException()
        : this("error", "The request failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The error message.</param>
    public MeshRequestException(string message)
        : this("error", message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The cause.</param>
    public MeshRequestException(string message, Exception innerException)
        : base(message, innerException) => Code = "error";

    /// <summary>The error code (<c>payload.code</c> of the <c>error</c> message).</summary>
    public string Code { get; }

    /// <summary>The device the request was for, when known.</summary>
    public string? DeviceId { get; }
}
