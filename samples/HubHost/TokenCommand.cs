using Meowstik.Hub.Core;
using Meowstik.Hub.Sqlite;

namespace HubHost;

/// <summary>
/// <c>token</c> sub-command: issues, lists and revokes tokens in the hub's SQLite file (a running hub picks the change up within
/// its token refresh interval; revoking closes the device's live connection then).
/// <code>
/// token issue --role device --device desktop-001 [--name "Desktop"] [--grant tv-001]... [--days 365]
/// token issue --role creator --name jason
/// token issue --role family --name mom --permit tv-001 [--permit ...] [--days 1]
/// token issue --role guest --name visitor
/// token list
/// token revoke tok_xxx            revoke one token
/// token revoke --device desktop-001   revoke every token of a device
/// </code>
/// The database is the hub's (<c>Meowstik:Hub:Sqlite:DatabasePath</c> from appsettings.json, the environment or
/// <c>--Meowstik:Hub:Sqlite:DatabasePath=&lt;file&gt;</c>; default <c>meowstik-hub.db</c>); <c>--db &lt;file&gt;</c> overrides it.
/// Token lifetimes come from <c>Meowstik:Hub:Auth</c> as in the hub.
/// </summary>
internal static class TokenCommand
{
    public static async Task<int> RunAsync(string[] args, IConfiguration hubSection, TextWriter output)
    {
        var options = Options.Parse(args, hubSection.GetSection(SqliteHubOptions.SectionName)[nameof(SqliteHubOptions.DatabasePath)] ?? SqliteHubOptions.DefaultDatabasePath);
        if (options.Verb is null || options.Error is not null)
        {
            if (options.Error is not null) output.WriteLine("error: " + options.Error);
            output.WriteLine("usage: token issue --role device|creator|family|guest [--device id] [--name text] [--grant id]... [--permit id]... [--days n] [--db file]");
            output.WriteLine("       token list [--db file]");
            output.WriteLine("       token revoke <token-id> | --device <id> [--db file]");
            return 2;
        }

        var authOptions = new AuthOptions();
        hubSection.GetSection("Auth").Bind(authOptions);   // source-generated binder (EnableConfigurationBindingGenerator)
        await using SqliteMeshStore store = await SqliteMeshStore.OpenAsync(options.Database);
        await using var audit = new SqliteAuditSink(store);
        using var auth = new AuthManager(new SqliteTokenStore(store), authOptions, audit);
        try
        {
            switch (options.Verb)
            {
                case "issue":
                    return await IssueAsync(auth, options, output);
                case "list":
                    return await ListAsync(auth, output);
                case "revoke":
                    return await RevokeAsync(auth, options, output);
                default:
                    output.WriteLine($"error: unknown verb '{options.Verb}'");
                    return 2;
            }
        }
        catch (ArgumentException ex)
        {
            output.WriteLine("error: " + ex.Message);
            return 2;
        }
        finally
        {
            await audit.FlushAsync();
        }
    }

    private static async Task<int> IssueAsync(AuthManager auth, Options options, TextWriter output)
    {
        if (!Enum.TryParse(options.Role, ignoreCase: true, out MeshRole role))
        {
            output.WriteLine("error: --role must be device, creator, family or guest");
            return 2;
        }
        string subject = options.Name ?? options.Device ?? role.ToString().ToLowerInvariant();
        IssuedToken token = await auth.IssueTokenAsync(new TokenIssueRequest
        {
            Role = role,
            Subject = subject,
            DeviceId = role == MeshRole.Device ? options.Device : null,
            CommandGrants = role == MeshRole.Device ? options.Grants : null,
            PermittedDevices = role == MeshRole.Family ? options.Permits : null,
            Lifetime = options.Days is { } days ? TimeSpan.FromDays(days) : null,
        });
        output.WriteLine($"Issued {token.TokenId}: {role} '{subject}'{(token.Identity.DeviceId is { } d ? " as " + d : "")}, expires {token.ExpiresAt:u}");
        output.WriteLine("Secret (shown once; only its SHA-256 hash is stored):");
        output.WriteLine(token.Secret);
        return 0;
    }

    private static async Task<int> ListAsync(AuthManager auth, TextWriter output)
    {
        IReadOnlyList<TokenInfo> tokens = await auth.ListTokensAsync();
        if (tokens.Count == 0)
        {
            output.WriteLine("No tokens.");
            return 0;
        }
        output.WriteLine($"{"TOKEN",-22} {"ROLE",-8} {"SUBJECT",-20} {"DEVICE",-20} {"EXPIRES",-21} STATE");
        foreach (TokenInfo token in tokens.OrderBy(t => t.IssuedAt))
        {
            string state = token.IsRevoked ? $"revoked {token.RevokedAt:u}" : token.ExpiresAt < DateTimeOffset.UtcNow ? "expired" : "active";
            string scope = token.Role switch
            {
                MeshRole.Device when token.CommandGrants.Count > 0 => " grants: " + string.Join(",", token.CommandGrants),
                MeshRole.Family => " permits: " + string.Join(",", token.PermittedDevices),
                _ => "",
            };
            output.WriteLine($"{token.TokenId,-22} {token.Role.ToString().ToLowerInvariant(),-8} {Trim(token.Subject, 20),-20} {token.DeviceId ?? "-",-20} {token.ExpiresAt,-21:u} {state}{scope}");
        }
        return 0;
    }

    private static async Task<int> RevokeAsync(AuthManager auth, Options options, TextWriter output)
    {
        if (options.Device is { } device)
        {
            IReadOnlyList<string> revoked = await auth.RevokeDeviceAsync(device);
            output.WriteLine(revoked.Count == 0 ? $"No live tokens for {device}." : $"Revoked {string.Join(", ", revoked)} ({device}).");
            return revoked.Count == 0 ? 1 : 0;
        }
        if (options.Positional is not { } tokenId)
        {
            output.WriteLine("error: give a token id or --device <id>");
            return 2;
        }
        bool done = await auth.RevokeTokenAsync(tokenId);
        output.WriteLine(done ? $"Revoked {tokenId}." : $"No live token {tokenId}.");
        return done ? 0 : 1;
    }

    private static string Trim(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";

    private sealed class Options
    {
        public string? Verb { get; private set; }
        public string? Positional { get; private set; }
        public string? Role { get; private set; }
        public string? Device { get; private set; }
        public string? Name { get; private set; }
        public double? Days { get; private set; }
        public List<string> Grants { get; } = [];
        public List<string> Permits { get; } = [];
        public string Database { get; private set; } = SqliteHubOptions.DefaultDatabasePath;
        public string? Error { get; private set; }

        public static Options Parse(string[] args, string database)
        {
            var options = new Options { Database = database };
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                string? Next() => i + 1 < args.Length ? args[++i] : null;
                switch (arg)
                {
                    case "--role": options.Role = Next(); break;
                    case "--device": options.Device = Next(); break;
                    case "--name": options.Name = Next(); break;
                    case "--db": options.Database = Next() ?? options.Database; break;
                    case "--grant": if (Next() is { } g) options.Grants.Add(g); break;
                    case "--permit": if (Next() is { } p) options.Permits.Add(p); break;
                    case "--days":
                        if (double.TryParse(Next(), System.Globalization.CultureInfo.InvariantCulture, out double days) && days > 0) options.Days = days;
                        else options.Error = "--days needs a positive number";
                        break;
                    default:
                        // --Section:Key=value is configuration (already applied), not an option of this command.
                        if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains('=', StringComparison.Ordinal)) break;
                        if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':', StringComparison.Ordinal))
                        {
                            Next();
                            break;
                        }
                        if (arg.StartsWith("--", StringComparison.Ordinal)) options.Error = $"unknown option {arg}";
                        else if (options.Verb is null) options.Verb = arg;
                        else options.Positional ??= arg;
                        break;
                }
            }
            return options;
        }
    }
}
