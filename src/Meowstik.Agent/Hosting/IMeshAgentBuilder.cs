using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Agent;

/// <summary>Adds capabilities to the agent registered by <c>AddMeowstikAgent</c>.</summary>
public interface IMeshAgentBuilder
{
    /// <summary>The service collection.</summary>
    IServiceCollection Services { get; }

    /// <summary>Registers a capability type, created by the container (its constructor dependencies are injected).</summary>
    /// <typeparam name="T">The capability type.</typeparam>
    /// <returns>This builder.</returns>
    IMeshAgentBuilder AddCapability<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>()
        where T : class, IMeshCapability;

    /// <summary>Registers a capability instance.</summary>
    /// <param name="capability">The capability.</param>
    /// <returns>This builder.</returns>
    IMeshAgentBuilder AddCapability(IMeshCapability capability);

    /// <summary>Registers a capability built by a factory.</summary>
    /// <param name="factory">Creates the capability from the service provider.</param>
    /// <returns>This builder.</returns>
    IMeshAgentBuilder AddCapability(Func<IServiceProvider, IMeshCapability> factory);
}
