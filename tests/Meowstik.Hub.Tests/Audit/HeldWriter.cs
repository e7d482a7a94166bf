using Meowstik.Hub.Core;

namespace Meowstik.Hub.Tests.Audit;

/// <summary>Holds a <see cref="SqliteAuditSink"/>'s writer inside its next batch until released, so a test controls queue depth.</summary>
internal sealed class HeldWriter : IDisposable
{
    private readonly ManualResetEventSlim _entered = new();
    private readonly ManualResetEventSlim _released = new();
    private int _batches;

    public HeldWriter(SqliteAuditSink sink) => sink.BeforeBatchForTests = OnBatch;

    /// <summary>Batches the writer has started.</summary>
    public int Batches => Volatile.Read(ref _batches);

    /// <summary>Waits until the writer is stuck in a batch (so it takes nothing more from the queue).</summary>
    public void WaitUntilHeld() => Assert.True(_entered.Wait(TimeSpan.FromSeconds(30)), "The writer never started a batch.");

    public void Release() => _released.Set();

    public void Dispose()
    {
        _released.Set();
        _entered.Dispose();
        _released.Dispose();
    }

    private void OnBatch()
    {
        Interlocked.Increment(ref _batches);
        _entered.Set();
        _released.Wait(TimeSpan.FromSeconds(60));
    }
}
