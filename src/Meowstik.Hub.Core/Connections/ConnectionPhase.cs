namespace Meowstik.Hub.Core;

/// <summary>The registration state machine of a connection.</summary>
internal enum ConnectionPhase
{
    /// <summary>Connected; the first message must be <c>register</c> before the registration deadline.</summary>
    AwaitingRegistration,
    /// <summary>The register message is being authenticated.</summary>
    Registering,
    /// <summary>Registered: messages are routed.</summary>
    Registered,
    /// <summary>Closing: nothing more is accepted.</summary>
    Closing,
}
