namespace Meowstik.Hub.Tests.Fixtures;

/// <summary>Polls a condition that another thread makes true (bounded; for state changes with no message to wait on).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string because, TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? TestMeshClient.DefaultTimeout);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out waiting until " + because);
            await Task.Delay(10);
        }
    }

    /// <summary>Advances a fake clock in steps until <paramref name="condition"/> holds (steps let async work catch up between advances).</summary>
    public static async Task AdvanceUntilAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider time, TimeSpan step, Func<bool> condition, string because, int maxSteps = 1000)
    {
        for (int i = 0; i < maxSteps && !condition(); i++)
        {
            time.Advance(step);
            await Task.Delay(5);
        }
        Assert.True(condition(), "Condition not reached: " + because);
    }
}
