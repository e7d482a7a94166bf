using Microsoft.Extensions.Options;

namespace Meowstik.Agent;

/// <summary>Validates <see cref="MeshAgentOptions"/> when the options are built (and at host start, with <c>ValidateOnStart</c>):
/// every invalid setting is reported, each naming its configuration key.</summary>
internal sealed class MeshAgentOptionsValidator : IValidateOptions<MeshAgentOptions>
{
    private readonly string _sectionPath;

    /// <param name="sectionPath">The section the options were bound from, e.g. <c>Meowstik:Agent</c>.</param>
    public MeshAgentOptionsValidator(string sectionPath)
    {
        _sectionPath = sectionPath;
    }

    public ValidateOptionsResult Validate(string? name, MeshAgentOptions options)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return ValidateOptionsResult.Skip;
        }

        List<string> failures = [.. options.FindErrors(_sectionPath).Select(e => e.Message)];
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
