using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Meowstik.Docs.Tests;

/// <summary>An error of a block, at its markdown line.</summary>
public sealed record DocError(string File, int Line, int Column, string Id, string Message)
{
    public override string ToString() => $"{File}({Line},{Column}): error {Id}: {Message}";
}

/// <summary>What compiling a block (with the blocks it continues) gave.</summary>
public sealed record DocCompileResult(CodeBlock Block, IReadOnlyList<CodeBlock> Chain, OutputKind Kind, IReadOnlyList<DocError> Errors)
{
    public bool Success => Errors.Count == 0;

    public string Report()
    {
        var text = new StringBuilder();
        string compiledAs = Kind == OutputKind.ConsoleApplication ? "a console program (top-level statements)" : "a library";
        text.Append($"The C# block at {Block.Id} does not compile as {compiledAs}");
        if (Chain.Count > 1)
            text.Append($", together with the blocks it continues ({string.Join(", ", Chain.Take(Chain.Count - 1).Select(b => b.Id))})");
        text.Append($": {Errors.Count} error(s)\n");
        foreach (DocError error in Errors)
            text.Append("  ").Append(error).Append('\n');
        return text.ToString();
    }
}

/// <summary>
/// Compiles doc blocks with Roslyn, each block (with the blocks it continues) as its own compilation, against the
/// trusted platform assemblies (the .NET and ASP.NET Core shared frameworks and this test's dependencies) plus the SDK's
/// assemblies, with the implicit global usings of a Microsoft.NET.Sdk.Web project.
/// </summary>
public static class DocBlockCompiler
{
    /// <summary>
    /// The implicit global usings of a Microsoft.NET.Sdk.Web project (ImplicitUsings=enable), plus <c>Meowstik.Protocol</c>,
    /// which the Meowstik.Protocol package's buildTransitive props adds for such projects.
    /// </summary>
    public static readonly ImmutableArray<string> ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks",
        "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Http",
        "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection",
        "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
        "Meowstik.Protocol",
    ];

    /// <summary>The metadata key (set by the csproj, one per ProjectReference) naming the SDK assemblies.</summary>
    public const string SdkAssemblyMetadataKey = "Meowstik.Docs.SdkAssembly";

    private static readonly CSharpParseOptions ParseOptions =
        new(LanguageVersion.Latest, DocumentationMode.None, SourceCodeKind.Regular);

    private static readonly SyntaxTree GlobalUsings = CSharpSyntaxTree.ParseText(
        string.Concat(ImplicitUsings.Select(u => $"global using global::{u};\n")), ParseOptions, path: "(implicit global usings)");

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyReferences = new(LoadReferences);

    /// <summary>The SDK assemblies (names) the blocks see, as listed by the csproj's ProjectReferences.</summary>
    public static IReadOnlyList<string> SdkAssemblyNames { get; } = typeof(DocBlockCompiler).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Where(a => a.Key == SdkAssemblyMetadataKey && !string.IsNullOrEmpty(a.Value))
        .Select(a => a.Value!)
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal)
        .ToArray();

    public static ImmutableArray<MetadataReference> References => LazyReferences.Value;

    /// <summary>Compiles the last block of <paramref name="chain"/>, together with the blocks before it that it continues.</summary>
    public static DocCompileResult Compile(IReadOnlyList<CodeBlock> chain)
    {
        if (chain.Count == 0)
            throw new ArgumentException("No block to compile.", nameof(chain));
        CodeBlock block = chain[^1];
        if (chain[0].Continues)
        {
            var noPrevious = new DocError(chain[0].File, chain[0].FirstLine, 1, "DOCS001",
                $"'{MarkdownCodeBlocks.ContinuesDirective}' on the first C# block of the file: there is no previous block to continue.");
            return new DocCompileResult(block, chain, OutputKind.DynamicallyLinkedLibrary, [noPrevious]);
        }

        // Each block parses on its own first, so that a syntax error is reported as the reader sees the block.
        var units = new List<(CodeBlock Block, CompilationUnitSyntax Unit)>();
        var syntaxErrors = new List<DocError>();
        foreach (CodeBlock b in chain)
        {
            SyntaxTree tree = CSharpSyntaxTree.ParseText(b.Code, ParseOptions, path: b.File);
            syntaxErrors.AddRange(ToErrors(tree.GetDiagnostics(), lineOffset: b.FirstLine - 1));
            units.Add((b, tree.GetCompilationUnitRoot()));
        }
        bool hasStatements = units.Any(u => u.Unit.Members.OfType<GlobalStatementSyntax>().Any());
        OutputKind kind = hasStatements ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary;
        if (syntaxErrors.Count > 0)
            return new DocCompileResult(block, chain, kind, syntaxErrors);

        // One block is compiled exactly as written. A chain is compiled as one file: every block's usings, then every
        // block's top-level statements, then every block's declarations, each piece keeping its markdown lines (#line).
        string text = chain.Count == 1 ? LineDirective(block.File, block.FirstLine) + block.Code : Assemble(units);
        SyntaxTree source = CSharpSyntaxTree.ParseText(text, ParseOptions, path: block.File);

        var compilation = CSharpCompilation.Create(
            "DocBlock",
            [GlobalUsings, source],
            References,
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));
        using var pe = new MemoryStream();
        var emit = compilation.Emit(pe);
        return new DocCompileResult(block, chain, kind, ToErrors(emit.Diagnostics));
    }

    private static string Assemble(List<(CodeBlock Block, CompilationUnitSyntax Unit)> units)
    {
        var text = new StringBuilder();
        void Append(CodeBlock b, SyntaxNode node)
        {
            int line = node.SyntaxTree.GetLineSpan(node.FullSpan).StartLinePosition.Line;   // 0-based within the block
            text.Append('\n').Append(LineDirective(b.File, b.FirstLine + line)).Append(node.ToFullString());
        }
        foreach (var (b, unit) in units)
            foreach (SyntaxNode node in unit.Externs.Cast<SyntaxNode>().Concat(unit.Usings))
                Append(b, node);
        foreach (var (b, unit) in units)
            foreach (AttributeListSyntax node in unit.AttributeLists)
                Append(b, node);
        foreach (var (b, unit) in units)
            foreach (MemberDeclarationSyntax node in unit.Members.OfType<GlobalStatementSyntax>())
                Append(b, node);
        foreach (var (b, unit) in units)
            foreach (MemberDeclarationSyntax node in unit.Members.Where(m => m is not GlobalStatementSyntax))
                Append(b, node);
        return text.Append('\n').ToString();
    }

    private static string LineDirective(string file, int line) => $"#line {line} \"{file}\"\n";

    private static List<DocError> ToErrors(IEnumerable<Diagnostic> diagnostics, int lineOffset = 0) => diagnostics
        .Where(d => d.Severity == DiagnosticSeverity.Error)
        .Select(d =>
        {
            FileLinePositionSpan span = d.Location.GetMappedLineSpan();
            return new DocError(span.IsValid ? span.Path : "(no location)", span.StartLinePosition.Line + 1 + lineOffset,
                span.StartLinePosition.Character + 1, d.Id, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        })
        .OrderBy(e => e.File, StringComparer.Ordinal).ThenBy(e => e.Line).ThenBy(e => e.Column)
        .ToList();

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // Keyed by assembly simple name: an SDK assembly that is also in the TPA list is referenced once.
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string
            ?? throw new InvalidOperationException("TRUSTED_PLATFORM_ASSEMBLIES is not set: cannot find the framework assemblies.");
        foreach (string path in tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
                paths[Path.GetFileNameWithoutExtension(path)] = path;

        if (SdkAssemblyNames.Count == 0)
            throw new InvalidOperationException($"No [AssemblyMetadata(\"{SdkAssemblyMetadataKey}\", …)] on the test assembly: the csproj lists the SDK projects.");
        foreach (string name in SdkAssemblyNames)
        {
            string path = Path.Combine(AppContext.BaseDirectory, name + ".dll");
            if (!File.Exists(path))
                throw new InvalidOperationException($"SDK assembly {name}.dll is not in the test output folder {AppContext.BaseDirectory}.");
            paths[name] = path;
        }
        return [.. paths.Values.Order(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }
}
