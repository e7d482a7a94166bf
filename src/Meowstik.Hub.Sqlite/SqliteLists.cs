namespace Meowstik.Hub.Sqlite;

/// <summary>
/// Lists of device ids stored in one TEXT column, separated by a line feed (device ids never contain control characters,
/// which the auth layer enforces before anything reaches a store), sorted so equal lists are stored alike.
/// </summary>
internal static class SqliteLists
{
    private const char Separator = '\n';

    public static string Join(IEnumerable<string> ids) => string.Join(Separator, ids.Order(StringComparer.Ordinal));

    public static string[] Split(string? joined) =>
        string.IsNullOrEmpty(joined) ? [] : joined.Split(Separator, StringSplitOptions.RemoveEmptyEntries);
}
