using SharpFuzz;

namespace Meowstik.Fuzz;

/// <summary>A target's failed invariant (as opposed to an exception the code under test threw by itself).</summary>
internal sealed class InvariantException(string message) : Exception(message);

/// <summary>
/// The entry point both targets share: <c>replay &lt;file-or-dir&gt;...</c> runs each input once through the same checks
/// (no fuzzer, no instrumentation needed); no arguments hands the target to SharpFuzz, which talks to afl-fuzz.
/// </summary>
internal static class FuzzHost
{
    public static int Run(string[] args, Action<byte[]> target)
    {
        if (args.Length > 0 && args[0] == "replay") return Replay(args[1..], target);
        if (args.Length > 0)
        {
            Console.Error.WriteLine("usage: (no arguments: run under afl-fuzz) | replay <file-or-dir>...");
            return 2;
        }
        // In-process persistent mode: state built before this call (a hub, say) is reused by every execution.
        Fuzzer.Run(stream =>
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            target(copy.ToArray());
        });
        return 0;
    }

    private static int Replay(string[] paths, Action<byte[]> target)
    {
        if (paths.Length == 0)
        {
            Console.Error.WriteLine("replay needs at least one file or directory");
            return 2;
        }
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path)) files.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else if (File.Exists(path)) files.Add(path);
            else
            {
                Console.Error.WriteLine($"no such file or directory: {path}");
                return 2;
            }
        }
        int failures = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();
        foreach (string file in files)
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
            catch (Exception ex)
            {
                failures++;
                Console.WriteLine($"FAIL {file}");
                Console.WriteLine(ex);
            }
        }
        Console.WriteLine($"replayed {files.Count} inputs in {started.Elapsed.TotalSeconds:0.0} s: {failures} failing");
        return failures == 0 ? 0 : 1;
    }
}
