using System.Text;
using System.Text.RegularExpressions;

namespace Meowstik.Docs.Tests;

/// <summary>One fenced C# block of a markdown file.</summary>
/// <param name="File">The markdown file, relative to the repository root with '/' separators (e.g. docs/agent.md).</param>
/// <param name="FenceLine">1-based line of the opening fence: the block's name is File:FenceLine.</param>
/// <param name="Code">The block's text, without the fences (and without the fence's indentation).</param>
/// <param name="Continues">Its first line is <c>// docs: continues</c>: it compiles together with the previous C# block of the file.</param>
public sealed record CodeBlock(string File, int FenceLine, string Code, bool Continues)
{
    /// <summary>1-based markdown line of the block's first code line.</summary>
    public int FirstLine => FenceLine + 1;

    /// <summary>The block's name in test results: <c>docs/agent.md:17</c>.</summary>
    public string Id => $"{File}:{FenceLine}";

    public override string ToString() => Id;
}

/// <summary>
/// Finds the fenced code blocks of a markdown text (CommonMark fences: three or more backticks or tildes, closed by the
/// same character at least as many times) and keeps those whose info string's first word is <c>csharp</c> or <c>cs</c>,
/// unless a later word of the info string is <c>ignore</c>.
/// </summary>
public static partial class MarkdownCodeBlocks
{
    /// <summary>The first line of a block that continues the previous C# block of the same file.</summary>
    public const string ContinuesDirective = "// docs: continues";

    private static readonly string[] CSharpLanguages = ["csharp", "cs"];

    [GeneratedRegex(@"^(?<indent> *)(?<fence>`{3,}|~{3,})(?<info>.*)$")]
    private static partial Regex OpeningFence();

    [GeneratedRegex(@"^\s*//\s*docs:\s*continues\s*$")]
    private static partial Regex ContinuesLine();

    public static IReadOnlyList<CodeBlock> Extract(string file, string markdown)
    {
        var blocks = new List<CodeBlock>();
        string[] lines = markdown.ReplaceLineEndings("\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            Match open = OpeningFence().Match(lines[i]);
            if (!open.Success)
                continue;
            string fence = open.Groups["fence"].Value;
            string info = open.Groups["info"].Value.Trim();
            if (fence[0] == '`' && info.Contains('`'))
                continue;   // not a fence (CommonMark: a backtick fence's info string has no backticks)

            int indent = open.Groups["indent"].Length;
            int fenceLine = i + 1;
            var code = new StringBuilder();
            for (i++; i < lines.Length && !IsClosingFence(lines[i], fence); i++)
                code.Append(Unindent(lines[i], indent)).Append('\n');
            // An unclosed fence runs to the end of the file (CommonMark); the block is still checked.

            string[] words = info.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0 || !CSharpLanguages.Contains(words[0], StringComparer.OrdinalIgnoreCase))
                continue;
            if (words.Skip(1).Contains("ignore", StringComparer.OrdinalIgnoreCase))
                continue;

            string text = code.ToString();
            string firstLine = text.Split('\n', 2)[0];
            blocks.Add(new CodeBlock(file, fenceLine, text, ContinuesLine().IsMatch(firstLine)));
        }
        return blocks;
    }

    // Any indentation is accepted (fences inside list items are indented by the item's width).
    private static bool IsClosingFence(string line, string fence)
    {
        string trimmed = line.TrimStart(' ');
        int run = 0;
        while (run < trimmed.Length && trimmed[run] == fence[0])
            run++;
        return run >= fence.Length && trimmed[run..].Trim().Length == 0;
    }

    private static string Unindent(string line, int indent)
    {
        int strip = 0;
        while (strip < indent && strip < line.Length && line[strip] == ' ')
            strip++;
        return line[strip..];
    }
}
