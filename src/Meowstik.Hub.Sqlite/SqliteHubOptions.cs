namespace Meowstik.Hub.Sqlite;

/// <summary>
/// Where the hub's SQLite file is. In ASP.NET Core hosts it is read from the <see cref="SectionName"/> sub-section of the
/// hub's configuration section: <c>Meowstik:Hub:Sqlite:DatabasePath</c> (environment <c>Meowstik__Hub__Sqlite__DatabasePath</c>).
/// </summary>
public sealed class SqliteHubOptions
{
    /// <summary>The sub-section of <c>MeshHubOptions.SectionName</c> these settings are read from: <c>Sqlite</c>.</summary>
    public const string SectionName = "Sqlite";

    /// <summary>The default <see cref="DatabasePath"/>: <c>meowstik-hub.db</c>.</summary>
    public const string DefaultDatabasePath = "meowstik-hub.db";

    /// <summary>
    /// The SQLite file holding hashed tokens, catch phrases and the audit trail; a relative path is taken from the working
    /// directory. Created (with its directory) on first use. Default <c>meowstik-hub.db</c>.
    /// </summary>
    public string DatabasePath { get; set; } = DefaultDatabasePath;

    /// <summary>
    /// Every setting out of range, one message each starting with its configuration key relative to the hub section
    /// (<c>Sqlite:DatabasePath …</c>). Empty when every setting is valid.
    /// </summary>
    public IReadOnlyList<string> GetValidationErrors() =>
        string.IsNullOrWhiteSpace(DatabasePath) ? [SectionName + ":" + nameof(DatabasePath) + " must name a file."] : [];

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        IReadOnlyList<string> errors = GetValidationErrors();
        if (errors.Count > 0) throw new ArgumentException(string.Join(" ", errors), nameof(DatabasePath));
    }
}
