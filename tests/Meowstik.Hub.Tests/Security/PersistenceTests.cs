using System.Text;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hub.Tests.Security;

public sealed class PersistenceTests
{
    [Fact]
    public async Task Audit_rows_and_tokens_survive_a_restart_and_no_plaintext_token_is_stored()
    {
        string directory = Path.Combine(Path.GetTempPath(), "meowstik-hub-tests", Guid.NewGuid().ToString("N"));
        try
        {
            IssuedToken desktopToken, revokedToken;
            await using (MeshTestHub first = await MeshTestHub.StartAsync(new MeshTestHubOptions { DataDirectory = directory }))
            {
                desktopToken = await first.IssueDeviceAsync("desktop-001");
                revokedToken = await first.IssueDeviceAsync("tv-001");
                await first.Hub.RevokeTokenAsync(revokedToken.TokenId);
                await using TestMeshClient tv = await first.ConnectUserAsync(MeshRole.Creator, "creator-phone");
                await using TestMeshClient desktop = await first.ConnectAsync(desktopToken.Secret);
                await desktop.RegisterAsync("desktop-001", ["x"]);
                await tv.SendAsync("""{"id":"persist-me","type":"command","to":"desktop-001","payload":{"action":"screenshot"}}""");
                await desktop.ReceiveTypeAsync("command");
                await first.Services.GetRequiredService<IAuditSink>().FlushAsync();
            }

            foreach (string file in Directory.GetFiles(directory))
            {
                byte[] bytes = await File.ReadAllBytesAsync(file);
                Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(desktopToken.Secret)), $"{Path.GetFileName(file)} holds a plaintext token");
                Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(revokedToken.Secret)), $"{Path.GetFileName(file)} holds a plaintext token");
            }

            await using MeshTestHub second = await MeshTestHub.StartAsync(new MeshTestHubOptions { DataDirectory = directory });
            IReadOnlyList<AuditRecord> rows = await second.Services.GetRequiredService<IAuditSink>().QueryAsync(new AuditQuery { DeviceId = "desktop-001" });
            Assert.Contains(rows, r => r.MessageId == "persist-me" && r.Outcome == AuditOutcome.Delivered && r.MessageType == "command");
            Assert.Contains(rows, r => r.Kind == AuditKind.Auth && r.MessageType == "register" && r.Outcome == AuditOutcome.Allowed);

            // The issued token still works; the revoked one stays revoked.
            await using TestMeshClient back = await second.ConnectAsync(desktopToken.Secret);
            await back.RegisterAsync("desktop-001", ["x"]);
            await using TestMeshClient refused = await second.ConnectAsync(revokedToken.Secret);
            await refused.SendAsync("""{"type":"register","from":"tv-001","payload":{"capabilities":[]}}""");
            Assert.Equal("unauthorized", (await refused.ReceiveTypeAsync("error")).ErrorCode());
        }
        finally
        {
            TestDirectory.TryDelete(directory);
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
