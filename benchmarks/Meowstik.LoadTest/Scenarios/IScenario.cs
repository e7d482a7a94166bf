using Meowstik.LoadTest.Reporting;
using Meowstik.LoadTest.Systems;

namespace Meowstik.LoadTest.Scenarios;

/// <summary>One workload, run the same way against each system.</summary>
internal interface IScenario
{
    /// <summary>The scenario's row label in the table.</summary>
    string Name { get; }

    Task<IReadOnlyList<Measurement>> RunAsync(IMessagingSystem system, CancellationToken cancellationToken);
}
