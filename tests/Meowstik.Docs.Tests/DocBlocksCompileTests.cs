namespace Meowstik.Docs.Tests;

/// <summary>Every C# block of the docs and package READMEs compiles (one test case per block, named file.md:line).</summary>
public class DocBlocksCompileTests
{
    public static TheoryData<string> Blocks()
    {
        var data = new TheoryData<string>();
        foreach (CodeBlock block in DocsCatalog.Repository.Blocks)
            data.Add(block.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_compiles(string block)
    {
        DocCompileResult result = DocBlockCompiler.Compile(DocsCatalog.Repository.ChainFor(block));
        if (!result.Success)
            Assert.Fail(result.Report());
    }

    [Fact]
    public void The_docs_are_found()
    {
        DocsCatalog docs = DocsCatalog.Repository;
        Assert.Contains(docs.Files, f => f.StartsWith("docs/", StringComparison.Ordinal));
        Assert.NotEmpty(docs.Blocks);
    }

    [Fact]
    public void Every_sdk_assembly_of_the_csproj_is_referenced()
    {
        Assert.Contains("Meowstik.Protocol", DocBlockCompiler.SdkAssemblyNames);
        Assert.Contains("Meowstik.Hub.AspNetCore", DocBlockCompiler.SdkAssemblyNames);
        var referenced = DocBlockCompiler.References.Select(r => Path.GetFileNameWithoutExtension(r.Display)).ToHashSet();
        Assert.All(DocBlockCompiler.SdkAssemblyNames, name => Assert.Contains(name, referenced));
    }
}
