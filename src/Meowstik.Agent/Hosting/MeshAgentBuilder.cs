using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meowstik.Agent;

internal sealed class MeshAgentBuilder : IMeshAgentBuilder
{
    public MeshAgentBuilder(IServiceCollection services)
    {
        Services = services;
    }

    public IServiceCollection Services { get; }

    public IMeshAgentBuilder AddCapability<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] T>()
        where T : class, IMeshCapability
    {
        Services.TryAddSingleton<T>();
        Services.AddSingleton<IMeshCapability>(static sp => sp.GetRequiredService<T>());
        return this;
    }

    public IMeshAgentBuilder AddCapability(IMeshCapability capability)
    {
        ArgumentNullException.ThrowIfNull(capability);
        Services.AddSingleton(capability);
        return this;
    }

    public IMeshAgentBuilder AddCapability(Func<IServiceProvider, IMeshCapability> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(factory);
        return this;
    }
}
