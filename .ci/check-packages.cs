// Checks the NuGet packages written by `dotnet pack` (run by .ci/check-packages.sh; a .NET 10 file-based app, so CI needs
// nothing but the SDK). Usage: dotnet run --file .ci/check-packages.cs -- <packages dir> <src dir>
// Prints one line per package (with its dependency list) and exits 1 when any rule fails. The rules:
//   [packages]     exactly one package per src/<Package>/ project, nothing else (samples, tests... are not packed)
//   [readme]       the nuspec names a README that is in the package
//   [readme-links] every link in that README is absolute (http/https/mailto): relative links break on nuget.org
//   [license]      a license expression or a license file in the package
//   [xmldoc]       an XML documentation file next to every lib/ assembly
//   [sqlite-only-in-Meowstik.Hub.Sqlite]  only Meowstik.Hub.Sqlite may depend on Microsoft.Data.Sqlite / SQLitePCLRaw
//   [symbols]      a .snupkg with a portable PDB for every lib/ assembly
//   [sourcelink]   each PDB carries SourceLink JSON mapping to the nuspec repository at the nuspec commit
//   [deterministic-paths]  the assembly's PDB path and every PDB document path are under /_/ (ContinuousIntegrationBuild)
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: check-packages.cs <packages dir> <src dir>");
    return 2;
}

string packagesDir = args[0];
var expected = Directory.GetDirectories(args[1])
    .Where(d => Directory.GetFiles(d, "*.csproj").Length > 0)
    .Select(d => Path.GetFileName(d)!)
    .ToHashSet(StringComparer.OrdinalIgnoreCase);

int failedPackages = 0, checkedPackages = 0;
var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
foreach (string nupkg in Directory.GetFiles(packagesDir, "*.nupkg").Order(StringComparer.Ordinal))
{
    var failures = new List<string>();
    var notes = new List<string>();
    string id = Path.GetFileName(nupkg);
    string version = "?";
    try
    {
        (id, version) = CheckPackage(nupkg, failures, notes);
        if (!expected.Contains(id))
        {
            failures.Add($"[packages] not a src/ library (src/{id}/ has no project): it should not be packed");
        }

        seen.Add(id);
    }
    catch (Exception e) when (e is IOException or InvalidDataException or BadImageFormatException or JsonException or System.Xml.XmlException)
    {
        failures.Add($"[packages] unreadable: {e.Message}");
    }

    checkedPackages++;
    if (failures.Count > 0)
    {
        failedPackages++;
    }

    Console.WriteLine($"{(failures.Count == 0 ? "ok  " : "FAIL")} {id} {version}: {string.Join("; ", failures.Concat(notes))}");
}

foreach (string missing in expected.Except(seen, StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal))
{
    checkedPackages++;
    failedPackages++;
    Console.WriteLine($"FAIL {missing}: [packages] src/{missing}/ produced no package");
}

Console.WriteLine(failedPackages == 0
    ? $"check-packages: {checkedPackages} packages, all rules pass"
    : $"check-packages: {failedPackages} of {checkedPackages} packages fail");
return failedPackages == 0 ? 0 : 1;

static (string Id, string Version) CheckPackage(string nupkgPath, List<string> failures, List<string> notes)
{
    using ZipArchive nupkg = ZipFile.OpenRead(nupkgPath);
    ZipArchiveEntry nuspecEntry = nupkg.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
    XElement metadata;
    using (Stream s = nuspecEntry.Open())
    {
        XElement root = XElement.Load(s);
        metadata = root.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    string? Meta(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim();
    string id = Meta("id") ?? "?";
    string version = Meta("version") ?? "?";

    // README
    string? readme = Meta("readme");
    ZipArchiveEntry? readmeEntry = readme is null ? null : nupkg.GetEntry(readme.Replace('\\', '/'));
    if (readmeEntry is null)
    {
        failures.Add(readme is null ? "[readme] the nuspec has no <readme>" : $"[readme] {readme} is not in the package");
    }
    else
    {
        using var reader = new StreamReader(readmeEntry.Open());
        List<string> links = Links(reader.ReadToEnd());
        List<string> relative = links.Where(l => !IsAbsolute(l)).ToList();
        if (relative.Count > 0)
        {
            failures.Add($"[readme-links] relative links in {readme}: {string.Join(", ", relative)}");
        }
        else
        {
            notes.Add($"readme {links.Count} links, all absolute");
        }
    }

    // License
    XElement? license = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "license");
    string? licenseType = license?.Attribute("type")?.Value;
    bool licenseFileShipped = nupkg.Entries.Any(e => !e.FullName.Contains('/') && Path.GetFileNameWithoutExtension(e.FullName).Equals("LICENSE", StringComparison.OrdinalIgnoreCase));
    if (licenseType == "expression" && !string.IsNullOrWhiteSpace(license!.Value))
    {
        notes.Add($"license {license.Value.Trim()}{(licenseFileShipped ? " + LICENSE file" : "")}");
    }
    else if (licenseType == "file" && nupkg.GetEntry(license!.Value.Trim().Replace('\\', '/')) is not null)
    {
        notes.Add($"license file {license.Value.Trim()}");
    }
    else
    {
        failures.Add("[license] no license expression and no license file in the package");
    }

    // XML documentation next to every lib/ assembly
    List<ZipArchiveEntry> assemblies = nupkg.Entries
        .Where(e => e.FullName.StartsWith("lib/", StringComparison.Ordinal) && e.FullName.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        .ToList();
    List<string> undocumented = assemblies.Where(a => nupkg.GetEntry(Path.ChangeExtension(a.FullName, ".xml")) is null).Select(a => a.FullName).ToList();
    if (assemblies.Count == 0)
    {
        failures.Add("[xmldoc] no lib/ assemblies");
    }
    else if (undocumented.Count > 0)
    {
        failures.Add($"[xmldoc] no XML documentation next to {string.Join(", ", undocumented)}");
    }
    else
    {
        notes.Add($"xmldoc {assemblies.Count}/{assemblies.Count}");
    }

    // Dependencies, printed; the SQLite rule
    var dependencyGroups = new List<string>();
    foreach (XElement group in metadata.Descendants().Where(e => e.Name.LocalName == "group" && e.Parent?.Name.LocalName == "dependencies"))
    {
        List<(string Id, string Version)> dependencies = group.Elements()
            .Where(e => e.Name.LocalName == "dependency")
            .Select(e => (e.Attribute("id")?.Value ?? "?", e.Attribute("version")?.Value ?? "?"))
            .ToList();
        dependencyGroups.Add($"deps[{group.Attribute("targetFramework")?.Value ?? "any"}]: " +
            (dependencies.Count == 0 ? "(none)" : string.Join(", ", dependencies.Select(d => $"{d.Id} {d.Version}"))));
        foreach ((string depId, string depVersion) in dependencies)
        {
            bool sqlite = depId.StartsWith("Microsoft.Data.Sqlite", StringComparison.OrdinalIgnoreCase)
                || depId.StartsWith("SQLitePCLRaw", StringComparison.OrdinalIgnoreCase);
            if (sqlite && !id.Equals("Meowstik.Hub.Sqlite", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"[sqlite-only-in-Meowstik.Hub.Sqlite] depends on {depId} {depVersion}");
            }
        }
    }

    // Symbols: SourceLink and deterministic paths
    string snupkgPath = Path.ChangeExtension(nupkgPath, ".snupkg");
    if (!File.Exists(snupkgPath))
    {
        failures.Add($"[symbols] {Path.GetFileName(snupkgPath)} is missing");
    }
    else
    {
        using ZipArchive snupkg = ZipFile.OpenRead(snupkgPath);
        XElement? repository = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "repository");
        string? expectedPrefix = SourceLinkPrefix(repository?.Attribute("url")?.Value, repository?.Attribute("commit")?.Value);
        var linked = new List<string>();
        foreach (ZipArchiveEntry assembly in assemblies)
        {
            ZipArchiveEntry? pdbEntry = snupkg.GetEntry(Path.ChangeExtension(assembly.FullName, ".pdb"));
            if (pdbEntry is null)
            {
                failures.Add($"[symbols] no {Path.ChangeExtension(assembly.FullName, ".pdb")} in the .snupkg");
                continue;
            }

            string? pdbPath = CodeViewPdbPath(assembly);
            if (pdbPath is null || !pdbPath.StartsWith("/_/", StringComparison.Ordinal))
            {
                failures.Add($"[deterministic-paths] {assembly.FullName} points at PDB '{pdbPath}', not under /_/ (pack with -p:ContinuousIntegrationBuild=true)");
            }

            (string? sourceLink, List<string> documents) = ReadPdb(pdbEntry);
            List<string> local = documents.Where(d => !d.StartsWith("/_/", StringComparison.Ordinal)).ToList();
            if (local.Count > 0)
            {
                failures.Add($"[deterministic-paths] {local.Count} PDB documents not under /_/, e.g. {local[0]}");
            }

            if (sourceLink is null)
            {
                failures.Add($"[sourcelink] {pdbEntry.FullName} has no SourceLink data");
                continue;
            }

            using JsonDocument json = JsonDocument.Parse(sourceLink);
            List<string> targets = json.RootElement.GetProperty("documents").EnumerateObject().Select(p => $"{p.Name} -> {p.Value.GetString()}").ToList();
            if (targets.Count == 0 || (expectedPrefix is not null && !targets.Any(t => t.Contains(expectedPrefix, StringComparison.Ordinal))))
            {
                failures.Add($"[sourcelink] {pdbEntry.FullName} maps {(targets.Count == 0 ? "nothing" : string.Join(", ", targets))}, expected {expectedPrefix ?? "a repository URL"}");
            }
            else
            {
                linked.AddRange(targets);
            }
        }

        if (linked.Count > 0)
        {
            notes.Add($"sourcelink {string.Join(", ", linked.Distinct())}");
        }
    }

    notes.AddRange(dependencyGroups);
    return (id, version);
}

// Inline links and images, reference definitions, and HTML href/src attributes.
static List<string> Links(string markdown)
{
    var links = new List<string>();
    foreach (Match m in Regex.Matches(markdown, @"\]\(\s*<?([^)\s>]+)"))
    {
        links.Add(m.Groups[1].Value);
    }

    foreach (Match m in Regex.Matches(markdown, @"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)", RegexOptions.Multiline))
    {
        links.Add(m.Groups[1].Value);
    }

    foreach (Match m in Regex.Matches(markdown, @"\b(?:href|src)\s*=\s*[""']([^""']+)[""']", RegexOptions.IgnoreCase))
    {
        links.Add(m.Groups[1].Value);
    }

    return links;
}

static bool IsAbsolute(string link) =>
    Uri.TryCreate(link, UriKind.Absolute, out Uri? uri) && uri.Scheme is "https" or "http" or "mailto";

// https://github.com/owner/repo -> https://raw.githubusercontent.com/owner/repo/<commit>/ (what SourceLink writes for GitHub).
static string? SourceLinkPrefix(string? repositoryUrl, string? commit)
{
    if (repositoryUrl is null || !Uri.TryCreate(repositoryUrl, UriKind.Absolute, out Uri? uri))
    {
        return null;
    }

    string path = uri.AbsolutePath.Trim('/');
    if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
    {
        path = path[..^4];
    }

    return uri.Host.Equals("github.com", StringComparison.OrdinalIgnoreCase)
        ? $"https://raw.githubusercontent.com/{path}/{commit}/"
        : path;
}

static string? CodeViewPdbPath(ZipArchiveEntry assembly)
{
    using var image = new MemoryStream();
    using (Stream s = assembly.Open())
    {
        s.CopyTo(image);
    }

    image.Position = 0;
    using var pe = new PEReader(image);
    DebugDirectoryEntry codeView = pe.ReadDebugDirectory().FirstOrDefault(e => e.Type == DebugDirectoryEntryType.CodeView);
    return codeView.Type == DebugDirectoryEntryType.CodeView ? pe.ReadCodeViewDebugDirectoryData(codeView).Path : null;
}

static (string? SourceLink, List<string> Documents) ReadPdb(ZipArchiveEntry pdbEntry)
{
    var sourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    using var pdb = new MemoryStream();
    using (Stream s = pdbEntry.Open())
    {
        s.CopyTo(pdb);
    }

    pdb.Position = 0;
    using MetadataReaderProvider provider = MetadataReaderProvider.FromPortablePdbStream(pdb);
    MetadataReader reader = provider.GetMetadataReader();
    List<string> documents = reader.Documents.Select(h => reader.GetString(reader.GetDocument(h).Name)).ToList();
    foreach (CustomDebugInformationHandle handle in reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition))
    {
        CustomDebugInformation info = reader.GetCustomDebugInformation(handle);
        if (reader.GetGuid(info.Kind) == sourceLinkKind)
        {
            return (System.Text.Encoding.UTF8.GetString(reader.GetBlobBytes(info.Value)), documents);
        }
    }

    return (null, documents);
}
