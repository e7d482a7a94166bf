namespace Meowstik.Docs.Tests;

/// <summary>The markdown files whose C# blocks must compile, and their blocks, read from the repository at test time.</summary>
public sealed class DocsCatalog
{
    public const string SolutionFile = "Meowstik.Sdk.sln";

    private static readonly Lazy<DocsCatalog> LazyRepository = new(() => Load(FindRepositoryRoot()));

    /// <summary>The catalog of this repository (found by walking up from the test's output folder).</summary>
    public static DocsCatalog Repository => LazyRepository.Value;

    private readonly Dictionary<string, IReadOnlyList<CodeBlock>> _chains;

    private DocsCatalog(string root, IReadOnlyList<string> files, IReadOnlyList<CodeBlock> blocks)
    {
        Root = root;
        Files = files;
        Blocks = blocks;
        _chains = Chains(blocks);
    }

    public string Root { get; }

    /// <summary>The markdown files checked, relative to the root with '/' separators.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Every C# block to compile, in file order.</summary>
    public IReadOnlyList<CodeBlock> Blocks { get; }

    /// <summary>The markdown files checked: docs/**/*.md, every package README (src/*/README.md) and the root README.md.</summary>
    public static IReadOnlyList<string> FindMarkdownFiles(string root)
    {
        var files = new List<string>();
        string docs = Path.Combine(root, "docs");
        if (Directory.Exists(docs))
            files.AddRange(Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories));
        string src = Path.Combine(root, "src");
        if (Directory.Exists(src))
            files.AddRange(Directory.EnumerateDirectories(src).Select(d => Path.Combine(d, "README.md")).Where(File.Exists));
        string readme = Path.Combine(root, "README.md");
        if (File.Exists(readme))
            files.Add(readme);
        return files
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToArray();
    }

    public static DocsCatalog Load(string root)
    {
        IReadOnlyList<string> files = FindMarkdownFiles(root);
        var blocks = files
            .SelectMany(f => MarkdownCodeBlocks.Extract(f, File.ReadAllText(Path.Combine(root, f))))
            .ToArray();
        return new DocsCatalog(root, files, blocks);
    }

    /// <summary>The blocks to compile for the block named <paramref name="id"/> (file.md:line): the blocks it continues, then itself.</summary>
    public IReadOnlyList<CodeBlock> ChainFor(string id) =>
        _chains.TryGetValue(id, out IReadOnlyList<CodeBlock>? chain)
            ? chain
            : throw new KeyNotFoundException($"No C# block {id} (the markdown changed since the tests were discovered?).");

    /// <summary>For each block, the blocks it compiles with: itself, preceded by the previous block's chain when it continues it.</summary>
    public static Dictionary<string, IReadOnlyList<CodeBlock>> Chains(IEnumerable<CodeBlock> blocks)
    {
        var chains = new Dictionary<string, IReadOnlyList<CodeBlock>>(StringComparer.Ordinal);
        IReadOnlyList<CodeBlock>? previous = null;
        string? previousFile = null;
        foreach (CodeBlock block in blocks)
        {
            if (block.File != previousFile)
                previous = null;
            IReadOnlyList<CodeBlock> chain = block.Continues && previous is not null ? [.. previous, block] : [block];
            chains[block.Id] = chain;
            previous = chain;
            previousFile = block.File;
        }
        return chains;
    }

    /// <summary>The folder holding Meowstik.Sdk.sln, found by walking up from AppContext.BaseDirectory.</summary>
    public static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                return dir.FullName;
        throw new InvalidOperationException($"No {SolutionFile} in {AppContext.BaseDirectory} or any folder above it.");
    }
}
