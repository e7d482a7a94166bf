namespace Meowstik.Hub.Sqlite;

/// <summary>Times are stored as UTC ticks (INTEGER): exact, sortable and cheap to compare in SQL.</summary>
internal static class SqliteTime
{
    public static long ToDb(DateTimeOffset time) => time.UtcTicks;

    public static DateTimeOffset FromDb(long ticks) => new(ticks, TimeSpan.Zero);
}
