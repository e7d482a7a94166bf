namespace Meowstik.Hub.AspNetCore;

/// <summary>
/// Where <c>MapMeowstikHub()</c> puts the mesh endpoints. Read from the <see cref="SectionName"/> sub-section of the hub's
/// configuration section: <c>Meowstik:Hub:Endpoints:PathPrefix</c>, <c>Meowstik:Hub:Endpoints:EnableCatchPhrase</c>.
/// </summary>
public sealed class MeshHubEndpointOptions
{
    /// <summary>The sub-section of <c>MeshHubOptions.SectionName</c> these settings are read from: <c>Endpoints</c>.</summary>
    public const string SectionName = "Endpoints";

    /// <summary>
    /// A path every mesh endpoint is mapped under, for example <c>/mesh</c> (then <c>/mesh/ws/mesh</c>,
    /// <c>/mesh/ws/vehicle/{vehicleId}</c>…). Empty (the default) maps the design document's paths as they are. Must start
    /// with <c>/</c>; a trailing <c>/</c> is ignored.
    /// </summary>
    public string PathPrefix { get; set; } = "";

    /// <summary>
    /// Whether <c>MapMeowstikHub()</c> also maps the anonymous <c>POST /api/mesh/catch-phrase</c> endpoint (a family member's
    /// phone exchanges its catch phrase for a short-lived family token). Off by default: turn it on only when family members
    /// use catch phrases. <c>MapMeowstikCatchPhrase()</c> maps it explicitly instead.
    /// </summary>
    public bool EnableCatchPhrase { get; set; }

    /// <summary>
    /// Every setting out of range, one message each starting with its configuration key relative to the hub section
    /// (<c>Endpoints:PathPrefix …</c>). Empty when every setting is valid.
    /// </summary>
    public IReadOnlyList<string> GetValidationErrors()
    {
        string? problem = PathPrefixProblem(PathPrefix);
        return problem is null ? [] : [$"{SectionName}:{nameof(PathPrefix)} {problem} (was '{PathPrefix}')."];
    }

    /// <summary>The prefix as routes use it: empty, or <c>/segment…</c> without a trailing slash.</summary>
    internal static string Normalize(string? prefix)
    {
        if (PathPrefixProblem(prefix) is { } problem)
        {
            throw new ArgumentException($"The mesh path prefix {problem} (was '{prefix}').", nameof(prefix));
        }

        return (prefix ?? "").TrimEnd('/');
    }

    private static string? PathPrefixProblem(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix)) return null;
        if (prefix[0] != '/') return "must start with '/'";
        if (prefix.AsSpan().IndexOfAny("?#{}*\\") >= 0 || prefix.Contains("//", StringComparison.Ordinal)) return "must be a plain path (no '?', '#', '{', '}', '*', '\\' or '//')";
        return null;
    }
}
