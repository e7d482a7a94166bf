namespace Meowstik.Hub.Tests.Fixtures;

/// <summary>
/// The hub tests' raw clients on the shared real-hub fixture (<see cref="MeshTestHub"/>, from Meowstik.Agent.Testing):
/// issue tokens and connect registered <see cref="TestMeshClient"/>s in one call.
/// </summary>
public static class MeshTestHubClients
{
    /// <summary>Issues a device token bound to <paramref name="deviceId"/> (with command grants); the whole token, not only its secret.</summary>
    public static Task<IssuedToken> IssueDeviceAsync(this MeshTestHub host, string deviceId, params string[] commandGrants) =>
        host.Hub.IssueTokenAsync(new TokenIssueRequest { Role = MeshRole.Device, Subject = deviceId, DeviceId = deviceId, CommandGrants = commandGrants });

    /// <summary>Issues a creator, family or guest token.</summary>
    public static Task<IssuedToken> IssueTokenAsync(this MeshTestHub host, MeshRole role, string subject, params string[] permittedDevices) =>
        host.Hub.IssueTokenAsync(new TokenIssueRequest { Role = role, Subject = subject, PermittedDevices = role == MeshRole.Family ? permittedDevices : null });

    /// <summary>Opens a WebSocket (not yet registered).</summary>
    public static Task<TestMeshClient> ConnectAsync(this MeshTestHub host, string? token = null, string path = "/ws/mesh", bool bearer = false) =>
        TestMeshClient.ConnectAsync(host.WebSocketUri(path, bearer ? null : token), bearer ? token : null);

    /// <summary>Issues a device token, connects and registers; the registration reply has been received.</summary>
    public static async Task<TestMeshClient> ConnectDeviceAsync(this MeshTestHub host, string deviceId, string[]? commandGrants = null, string[]? capabilities = null, string path = "/ws/mesh")
    {
        IssuedToken token = await host.IssueDeviceAsync(deviceId, commandGrants ?? []);
        TestMeshClient client = await host.ConnectAsync(token.Secret, path);
        await client.RegisterAsync(deviceId, capabilities ?? ["test"]);
        return client;
    }

    /// <summary>Connects and registers a creator/family/guest client under <paramref name="clientId"/>.</summary>
    public static async Task<TestMeshClient> ConnectUserAsync(this MeshTestHub host, MeshRole role, string clientId, params string[] permittedDevices)
    {
        IssuedToken token = await host.IssueTokenAsync(role, clientId, permittedDevices);
        TestMeshClient client = await host.ConnectAsync(token.Secret);
        await client.RegisterAsync(clientId, []);
        return client;
    }
}

/// <summary>Temporary directories of tests that keep a database across hubs.</summary>
public static class TestDirectory
{
    /// <summary>Deletes a test directory, ignoring files still held open.</summary>
    public static void TryDelete(string directory)
    {
        try
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
