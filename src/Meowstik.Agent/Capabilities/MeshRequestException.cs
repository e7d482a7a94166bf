namespace Meowstik.Agent.Capabilities;

/// <summary>The device or hub answered a request of this agent with an <c>error</c>.</summary>
public sealed class MeshRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="code">The error code (e.g. <c>unknown_action</c>, <c>device_offline</c>).</param>
    /// <param name="message">The error message.</param>
    public MeshRequestException(string code, string message)
        : base($"{code}: {message}")
    {
        Code = code;
        ErrorMessage = message;
    }

    /// <summary>The error code from the <c>error</c> payload.</summary>
    public string Code { get; }

    /// <summary>The error message from the <c>error</c> payload.</summary>
    public string ErrorMessage { get; }
}
