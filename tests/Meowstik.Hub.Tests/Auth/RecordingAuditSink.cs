using Meowstik.Hub.Core;

namespace Meowstik.Hub.Tests.Auth;

/// <summary>Keeps audit records in memory so tests can assert what was audited.</summary>
internal sealed class RecordingAuditSink : IAuditSink
{
    private readonly List<AuditRecord> _records = [];

    public IReadOnlyList<AuditRecord> Records
    {
        get
        {
            lock (_records)
            {
                return _records.ToArray();
            }
        }
    }

    public bool TryWrite(in AuditRecord record)
    {
        lock (_records)
        {
            _records.Add(record);
        }

        return true;
    }

    public Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult(Records);

    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}
