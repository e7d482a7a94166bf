namespace Meowstik.Hub;

/// <summary>
/// A command or query sent from the host failed: the device is offline or unknown, did not answer in time, or answered with an
/// <c>error</c>. <see cref="Code"/> is the protocol error code (<c>device_offline</c>, <c>unknown_device</c>, <c>timeout</c>,
/// <c>unknown_action</c>, <c>handler_failed</c>…).
/// </summary>
public sealed class MeshRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MeshRequestException(string code, string message, string? deviceId = null)
        : base(message)
    {
        Code = code;
        DeviceId = deviceId;
    }

    /// <summary>Creates the exception with a default message.</summary>
    public MeshRequestException()
        : this("error", "The request failed.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MeshRequestException(string message)
        : this("error", message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public MeshRequestException(string message, Exception innerException)
        : base(message, innerException) => Code = "error";

    /// <summary>The protocol error code.</summary>
    public string Code { get; }

    /// <summary>The device the request was for.</summary>
    public string? DeviceId { get; }
}
