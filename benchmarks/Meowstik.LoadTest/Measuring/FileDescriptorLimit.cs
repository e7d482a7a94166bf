using System.Globalization;

namespace Meowstik.LoadTest.Measuring;

/// <summary>The soft limit on open files of this process (each client connection holds one; child servers inherit the limit).</summary>
internal static class FileDescriptorLimit
{
    public static long Soft()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                string[] parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts[0] == "unlimited" ? long.MaxValue : long.Parse(parts[0], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        return 1024;
    }
}
