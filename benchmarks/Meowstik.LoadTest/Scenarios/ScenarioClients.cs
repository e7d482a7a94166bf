using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest.Scenarios;

/// <summary>Helpers shared by the scenarios: connecting many clients with bounded concurrency, and closing them all.</summary>
internal static class ScenarioClients
{
    /// <summary>Connects with at most <paramref name="parallel"/> handshakes at a time; failures are counted, not thrown.</summary>
    public static async Task<(List<IMessagingClient> Clients, int Failures, string? FirstError)> ConnectManyAsync(
        int count, Func<int, CancellationToken, Task<IMessagingClient>> connect, int parallel, CancellationToken cancellationToken)
    {
        var clients = new IMessagingClient?[count];
        int failures = 0;
        string? firstError = null;
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            try
            {
                clients[i] = await connect(i, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref failures);
                Interlocked.CompareExchange(ref firstError, $"{ex.GetType().Name}: {ex.Message}", null);
            }
        }).ConfigureAwait(false);
        return (clients.Where(c => c is not null).Select(c => c!).ToList(), failures, firstError);
    }

    public static Task DisposeAllAsync(IEnumerable<IMessagingClient?> clients) =>
        Parallel.ForEachAsync(clients, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (client, _) =>
        {
            if (client is not null) await client.DisposeAsync().ConfigureAwait(false);
        });
}
