using Meowstik.Hub.Core;
using Microsoft.Data.Sqlite;

namespace Meowstik.Hub.Tests.Auth;

/// <summary>A SQLite file in its own temp directory, deleted (with its WAL files) on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "meowstik-hub-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        FilePath = Path.Combine(Directory, "hub.db");
    }

    public string Directory { get; }

    public string FilePath { get; }

    public Task<SqliteMeshStore> OpenAsync() => SqliteMeshStore.OpenAsync(FilePath);

    /// <summary>Every byte of the database and its -wal/-shm companions.</summary>
    public byte[] ReadAllBytes()
    {
        SqliteConnection.ClearAllPools();
        using var all = new MemoryStream();
        foreach (string file in System.IO.Directory.GetFiles(Directory, "hub.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.CopyTo(all);
        }

        return all.ToArray();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle in another test may linger briefly; the OS temp cleaner takes the rest.
        }
    }
}
