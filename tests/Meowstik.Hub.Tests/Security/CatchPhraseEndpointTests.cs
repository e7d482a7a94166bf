using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meowstik.Hub.AspNetCore;
using Meowstik.Hub.Core;
using Meowstik.Hub.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hub.Tests.Security;

public sealed class CatchPhraseEndpointTests
{
    [Fact]
    public async Task A_catch_phrase_is_exchanged_for_a_family_token_limited_to_the_members_devices()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureHub = o => o.Auth.CatchPhraseIterations = 1000, ConfigureServices = EnableCatchPhrase });
        await host.Hub.RegisterCatchPhraseAsync("mom", "purple elephants dance at noon", ["tv-001"]);
        await using TestMeshClient tv = await host.ConnectDeviceAsync("tv-001");
        await using TestMeshClient desktop = await host.ConnectDeviceAsync("desktop-001");
        using var http = new HttpClient { BaseAddress = host.BaseUri };

        HttpResponseMessage ok = await http.PostAsJsonAsync("/api/mesh/catch-phrase", new { phrase = "purple elephants dance at noon" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        JsonElement body = await ok.Content.ReadFromJsonAsync<JsonElement>();
        string token = body.GetProperty("token").GetString()!;
        Assert.Equal(["tv-001"], body.GetProperty("permitted_devices").EnumerateArray().Select(d => d.GetString()!).ToArray());

        await using TestMeshClient phone = await host.ConnectAsync(token);
        await phone.RegisterAsync("family-mom-phone", []);
        await phone.SendAsync("""{"id":"q","type":"query","to":"tv-001","payload":{"action":"status"}}""");
        Assert.Equal("q", (await tv.ReceiveTypeAsync("query")).Str("id"));
        await phone.SendAsync("""{"id":"c","type":"command","to":"tv-001","payload":{"action":"power"}}""");
        Assert.Equal("forbidden", (await phone.ReceiveAsync(m => m.Str("correlation_id") == "c")).ErrorCode());
        await phone.SendAsync("""{"id":"d","type":"query","to":"desktop-001","payload":{"action":"status"}}""");
        Assert.Equal("forbidden", (await phone.ReceiveAsync(m => m.Str("correlation_id") == "d")).ErrorCode());
    }

    [Fact]
    public async Task Wrong_phrases_are_refused_then_rate_limited()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureHub = o =>
        {
            o.Auth.CatchPhraseIterations = 1000;
            o.Auth.CatchPhraseMaxFailures = 3;
        }, ConfigureServices = EnableCatchPhrase });
        await host.Hub.RegisterCatchPhraseAsync("mom", "purple elephants dance at noon", ["tv-001"]);
        using var http = new HttpClient { BaseAddress = host.BaseUri };

        for (int i = 0; i < 3; i++)
        {
            HttpResponseMessage wrong = await http.PostAsJsonAsync("/api/mesh/catch-phrase", new { phrase = "green giraffes sing " + i });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        HttpResponseMessage limited = await http.PostAsJsonAsync("/api/mesh/catch-phrase", new { phrase = "purple elephants dance at noon" });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);

        HttpResponseMessage malformed = await http.PostAsync("/api/mesh/catch-phrase", new StringContent("not json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task The_anonymous_endpoint_is_not_mapped_unless_enabled()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(o => o.Auth.CatchPhraseIterations = 1000);
        await host.Hub.RegisterCatchPhraseAsync("mom", "purple elephants dance at noon", ["tv-001"]);
        using var http = new HttpClient { BaseAddress = host.BaseUri };

        HttpResponseMessage response = await http.PostAsJsonAsync("/api/mesh/catch-phrase", new { phrase = "purple elephants dance at noon" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task MapMeowstikCatchPhrase_maps_it_explicitly_at_any_route()
    {
        await using MeshTestHub host = await MeshTestHub.StartAsync(new MeshTestHubOptions { ConfigureHub = o => o.Auth.CatchPhraseIterations = 1000, MapEndpoints = app =>
        {
            app.MapMeowstikHub();
            app.MapMeowstikCatchPhrase("/family/exchange");
        } });
        await host.Hub.RegisterCatchPhraseAsync("mom", "purple elephants dance at noon", ["tv-001"]);
        using var http = new HttpClient { BaseAddress = host.BaseUri };

        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsJsonAsync("/api/mesh/catch-phrase", new { phrase = "purple elephants dance at noon" })).StatusCode);
        HttpResponseMessage ok = await http.PostAsJsonAsync("/family/exchange", new { phrase = "purple elephants dance at noon" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.StartsWith(AuthManager.TokenIdPrefix, (await ok.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token_id").GetString());
    }

    private static void EnableCatchPhrase(IServiceCollection services) =>
        services.Configure<MeshHubEndpointOptions>(o => o.EnableCatchPhrase = true);
}
