using Microsoft.CodeAnalysis;

namespace Meowstik.Docs.Tests;

/// <summary>The checker itself: it finds the right blocks, fails on a bad one, passes a good one, and points at markdown lines.</summary>
public class CheckerSelfTests
{
    private static DocCompileResult CompileOnly(string markdown, string file = "test.md")
    {
        CodeBlock block = Assert.Single(MarkdownCodeBlocks.Extract(file, markdown));
        return DocBlockCompiler.Compile([block]);
    }

    private static IReadOnlyList<DocCompileResult> CompileAll(string markdown, string file = "test.md")
    {
        var chains = DocsCatalog.Chains(MarkdownCodeBlocks.Extract(file, markdown));
        return chains.Values.Select(DocBlockCompiler.Compile).ToArray();
    }

    [Fact]
    public void A_bad_block_fails_with_its_error_at_the_markdown_line()
    {
        const string markdown = """
            # Title

            Some prose.

            ```csharp
            int ok = 1;
            string s = ok;
            ```
            """;

        DocCompileResult result = CompileOnly(markdown);

        Assert.False(result.Success);
        DocError error = Assert.Single(result.Errors);
        Assert.Equal("CS0029", error.Id);   // cannot convert int to string
        Assert.Equal("test.md", error.File);
        Assert.Equal(7, error.Line);
        Assert.Contains("test.md:5", result.Report());
        Assert.Contains("test.md(7,", result.Report());
    }

    [Fact]
    public void A_syntax_error_fails_at_the_markdown_line()
    {
        DocCompileResult result = CompileOnly("text\n\n```cs\nclass C\n{\n    void M( { }\n}\n```\n");

        Assert.False(result.Success);
        Assert.All(result.Errors, e => Assert.Equal(6, e.Line));
    }

    [Fact]
    public void An_unknown_sdk_name_fails()
    {
        DocCompileResult result = CompileOnly("```csharp\nvar agent = new Meowstik.Agent.NoSuchType();\n```\n");

        Assert.Contains(result.Errors, e => e.Id is "CS0234" or "CS0246");
    }

    [Fact]
    public void A_good_program_compiles_against_the_web_sdk_usings_and_the_sdk()
    {
        const string markdown = """
            ```csharp
            using Meowstik.Agent;
            using Meowstik.Hub.Core;

            var builder = WebApplication.CreateBuilder(args);
            builder.Services.AddMeowstikHub(builder.Configuration.GetSection(MeshHubOptions.SectionName));
            builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName)).AddCapability<Hello>();
            var app = builder.Build();
            app.MapMeowstikHub();
            app.MapGet("/hello", () => Results.Ok(new List<int> { 1 }.Select(i => i + 1)));
            app.MapGet("/paths", () => MeshPaths.Mesh);   // Meowstik.Protocol needs no using, as for a package consumer
            await app.RunAsync();

            sealed class Hello : MeshCapability
            {
                public Hello() : base("hello") { }
            }
            ```
            """;

        DocCompileResult result = CompileOnly(markdown);

        Assert.True(result.Success, result.Report());
        Assert.Equal(OutputKind.ConsoleApplication, result.Kind);
    }

    [Fact]
    public void A_block_of_declarations_compiles_as_a_library()
    {
        DocCompileResult result = CompileOnly("```csharp\nnamespace Demo;\n\npublic sealed record Fix(double Lat, double Lng);\n```\n");

        Assert.True(result.Success, result.Report());
        Assert.Equal(OutputKind.DynamicallyLinkedLibrary, result.Kind);
    }

    [Fact]
    public void Only_csharp_and_cs_blocks_are_checked_and_ignore_skips_one()
    {
        const string markdown = """
            ```json
            { "not": "C#" }
            ```

            ```bash
            dotnet test
            ```

            ```
            plain
            ```

            ```csharp ignore
            this does not compile
            ```

            ````markdown
            ```csharp
            inside a markdown example: not a block of this file
            ```
            ````

            - A list item:

              ```CSharp
              int listed = 1;
              ```

            ~~~cs
            int tilde = 2;
            ~~~
            """;

        IReadOnlyList<CodeBlock> blocks = MarkdownCodeBlocks.Extract("test.md", markdown);

        Assert.Equal([25, 29], blocks.Select(b => b.FenceLine));
        Assert.Equal("int listed = 1;\n", blocks[0].Code);
        Assert.All(blocks, b => Assert.True(DocBlockCompiler.Compile([b]).Success));
    }

    [Fact]
    public void A_continuing_block_sees_the_previous_blocks_usings_types_and_variables()
    {
        const string markdown = """
            Declare a type:

            ```csharp
            using System.Text;

            public sealed record Greeting(string Name);
            ```

            Use it:

            ```csharp
            // docs: continues
            var greeting = new Greeting("Jason");
            var text = new StringBuilder();
            ```

            And keep going:

            ```csharp
            // docs: continues
            text.Append(greeting.Name);
            Console.WriteLine(text);
            ```
            """;

        IReadOnlyList<DocCompileResult> results = CompileAll(markdown);

        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.True(r.Success, r.Report()));
        Assert.Equal(OutputKind.ConsoleApplication, results[2].Kind);
        Assert.Equal(3, results[2].Chain.Count);
    }

    [Fact]
    public void Without_the_directive_a_block_stands_alone()
    {
        const string markdown = """
            ```csharp
            public sealed record Greeting(string Name);
            ```

            ```csharp
            var greeting = new Greeting("Jason");
            ```
            """;

        IReadOnlyList<DocCompileResult> results = CompileAll(markdown);

        Assert.True(results[0].Success);
        Assert.Contains(results[1].Errors, e => e.Id == "CS0246" && e.Line == 6);
    }

    [Fact]
    public void An_error_in_a_continuing_block_is_reported_at_its_own_markdown_line()
    {
        const string markdown = """
            ```csharp
            var count = 1;
            ```

            ```csharp
            // docs: continues
            string wrong = count;
            ```
            """;

        IReadOnlyList<DocCompileResult> results = CompileAll(markdown);

        Assert.True(results[0].Success, results[0].Report());
        DocError error = Assert.Single(results[1].Errors);
        Assert.Equal(("test.md", 7, "CS0029"), (error.File, error.Line, error.Id));
    }

    [Fact]
    public void Continuing_the_first_block_of_a_file_is_an_error()
    {
        DocCompileResult result = CompileOnly("```csharp\n// docs: continues\nvar x = 1;\n```\n");

        Assert.Equal("DOCS001", Assert.Single(result.Errors).Id);
    }

    [Fact]
    public void Warnings_do_not_fail_a_block()
    {
        // CS0168 (declared but never used) and CS8600 (null into a non-nullable) are warnings.
        DocCompileResult result = CompileOnly("```csharp\nint unused;\nstring s = null;\nConsole.WriteLine(s);\n```\n");

        Assert.True(result.Success, result.Report());
    }
}
