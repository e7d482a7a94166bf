using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent;

/// <summary>
/// The options plumbing every agent plugin shares, so each plugin's <c>AddXyz</c> is its capability and nothing else:
/// options set in code or bound from a section, then validated when the host starts with every error naming its key
/// (<c>Meowstik:Can:Interface is empty …</c>).
/// </summary>
/// <remarks>
/// Binding stays in the plugin: the configuration binder's source generator writes the trimming/NativeAOT-safe binding
/// code only for a <c>Bind</c> call it sees in the calling assembly, so the plugin passes that call as <c>bind</c>.
/// </remarks>
public static class MeshPluginOptions
{
    /// <summary>Registers <typeparamref name="TOptions"/> set in code, validated at start.</summary>
    /// <typeparam name="TOptions">The plugin's options type.</typeparam>
    /// <param name="builder">The agent builder.</param>
    /// <param name="sectionPath">The section the errors name, e.g. <c>Meowstik:Can</c>.</param>
    /// <param name="configure">Sets the options.</param>
    /// <param name="findErrors">Every problem with the options, each naming its key under the given section path.</param>
    public static void Add<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(
        IMeshAgentBuilder builder,
        string sectionPath,
        Action<TOptions> configure,
        Func<TOptions, string, IEnumerable<string>> findErrors)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<TOptions>().Configure(configure);
        AddValidation(builder.Services, sectionPath, findErrors);
    }

    /// <summary>Registers <typeparamref name="TOptions"/> bound from <paramref name="section"/>, then <paramref name="configure"/>, validated at start.</summary>
    /// <typeparam name="TOptions">The plugin's options type.</typeparam>
    /// <param name="builder">The agent builder.</param>
    /// <param name="section">The section holding the options; its path is the one the errors name.</param>
    /// <param name="defaultSectionPath">The path errors name when <paramref name="section"/> has none (a root configuration).</param>
    /// <param name="bind">
    /// The plugin's own binding call, usually <c>(o, s) =&gt; o.Bind(s, b =&gt; b.ErrorOnUnknownConfiguration = true)</c> so
    /// that a misspelt key fails the start.
    /// </param>
    /// <param name="configure">Optional settings applied after binding.</param>
    /// <param name="findErrors">Every problem with the options, each naming its key under the given section path.</param>
    public static void Add<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(
        IMeshAgentBuilder builder,
        IConfiguration section,
        string defaultSectionPath,
        Action<OptionsBuilder<TOptions>, IConfiguration> bind,
        Action<TOptions>? configure,
        Func<TOptions, string, IEnumerable<string>> findErrors)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(bind);
        OptionsBuilder<TOptions> options = builder.Services.AddOptions<TOptions>();
        bind(options, section);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        string path = section is IConfigurationSection { Path: { Length: > 0 } sectionPath } ? sectionPath : defaultSectionPath;
        AddValidation(builder.Services, path, findErrors);
    }

    private static void AddValidation<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(IServiceCollection services, string sectionPath, Func<TOptions, string, IEnumerable<string>> findErrors)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(findErrors);
        services.AddOptions<TOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, Validator<TOptions>>(_ => new Validator<TOptions>(sectionPath, findErrors)));
    }

    private sealed class Validator<TOptions>(string sectionPath, Func<TOptions, string, IEnumerable<string>> findErrors) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            if (name is not null && name != Options.DefaultName)
            {
                return ValidateOptionsResult.Skip;
            }

            List<string> failures = [.. findErrors(options, sectionPath)];
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
