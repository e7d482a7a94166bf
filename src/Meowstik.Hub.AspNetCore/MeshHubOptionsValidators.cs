using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;
using Microsoft.Extensions.Options;

namespace Meowstik.Hub.AspNetCore;

/// <summary>Range checks of every hub setting, run at start-up; each failure names its configuration key.</summary>
internal sealed class MeshHubOptionsValidator : IValidateOptions<MeshHubOptions>
{
    public ValidateOptionsResult Validate(string? name, MeshHubOptions options) =>
        Result(options.GetValidationErrors());

    internal static ValidateOptionsResult Result(IReadOnlyList<string> errors) =>
        errors.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(errors.Select(static e => MeshHubOptions.SectionName + ":" + e));
}

/// <summary>Checks <see cref="SqliteHubOptions"/> at start-up.</summary>
internal sealed class SqliteHubOptionsValidator : IValidateOptions<SqliteHubOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteHubOptions options) =>
        MeshHubOptionsValidator.Result(options.GetValidationErrors());
}

/// <summary>Checks <see cref="MeshHubEndpointOptions"/> at start-up.</summary>
internal sealed class MeshHubEndpointOptionsValidator : IValidateOptions<MeshHubEndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, MeshHubEndpointOptions options) =>
        MeshHubOptionsValidator.Result(options.GetValidationErrors());
}
