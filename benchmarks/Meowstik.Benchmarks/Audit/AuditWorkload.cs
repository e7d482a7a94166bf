using System.Text;
using Meowstik.Hub.Core;

namespace Meowstik.Benchmarks.Audit;

/// <summary>
/// The records both audit measurements post: what the router audits per delivered message (an event from one of 100
/// senders to its partner, a UTF-8 message id from the wire, the type name and device ids as existing strings).
/// </summary>
internal sealed class AuditWorkload
{
    private readonly string[] _from = new string[100];
    private readonly string[] _to = new string[100];
    private readonly byte[][] _ids;

    public AuditWorkload(int count)
    {
        for (int i = 0; i < _from.Length; i++)
        {
            _from[i] = $"sender-{i:000}";
            _to[i] = $"receiver-{i:000}";
        }

        // Distinct ids like MessageId.Write produces (the router sees them as UTF-8 bytes in the envelope).
        _ids = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            _ids[i] = Encoding.UTF8.GetBytes($"msg_01JH{i:D10}XK7Q2M");
        }
    }

    public int Count => _ids.Length;

    public static DateTimeOffset Time { get; } = new(2026, 1, 19, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Posts record <paramref name="i"/> the way MessageRouter.Delivered does today: a new id string per message.</summary>
    public bool PostAsString(IAuditSink sink, int i) =>
        sink.TryWrite(AuditRecord.ForMessage(
            Time.AddTicks(i), Encoding.UTF8.GetString(_ids[i]), "event", _from[i % 100], _to[i % 100], 140, AuditOutcome.Delivered));

    /// <summary>Posts record <paramref name="i"/> through <see cref="IAuditSink.TryWriteMessage"/>: the id stays UTF-8.</summary>
    public bool PostAsUtf8(IAuditSink sink, int i) =>
        sink.TryWriteMessage(Time.AddTicks(i), _ids[i], "event", _from[i % 100], _to[i % 100], 140, AuditOutcome.Delivered);

    /// <summary>Posts every record as a receive loop would: UTF-8 ids, waiting whenever the sink pushes back.</summary>
    public async Task PostWithBackpressureAsync(IAuditSink sink)
    {
        for (int i = 0; i < _ids.Length; i++)
        {
            PostAsUtf8(sink, i);
            if (sink.IsBackpressured)
            {
                await sink.WaitForCapacityAsync(CancellationToken.None);
            }
        }
    }
}
