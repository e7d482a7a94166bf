namespace Meowstik.Hub.Tests.Connections;

/// <summary>
/// Tests that saturate the machine on purpose (bursts of 100,000 messages, stuck consumers) run alone, so they neither starve
/// timing-sensitive tests nor are starved by them.
/// </summary>
[CollectionDefinition(nameof(LoadShapedTests), DisableParallelization = true)]
public sealed class LoadShapedTests;
