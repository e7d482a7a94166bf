using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Meowstik.Hub.AspNetCore;

/// <summary>
/// A configuration section seen without some of its child sections. The hub section holds <c>MeshHubOptions</c>' keys and
/// the <c>Sqlite</c> and <c>Endpoints</c> sub-sections of other options types; binding <c>MeshHubOptions</c> with
/// <c>ErrorOnUnknownConfiguration</c> through this view lets the binder report every other unknown key.
/// </summary>
internal sealed class ConfigurationWithout(IConfiguration inner, params string[] excluded) : IConfiguration
{
    public string? this[string key]
    {
        get => inner[key];
        set => inner[key] = value;
    }

    public IEnumerable<IConfigurationSection> GetChildren() =>
        inner.GetChildren().Where(child => !excluded.Contains(child.Key, StringComparer.OrdinalIgnoreCase));

    public IChangeToken GetReloadToken() => inner.GetReloadToken();

    public IConfigurationSection GetSection(string key) => inner.GetSection(key);
}
