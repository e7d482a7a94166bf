namespace Meowstik.Samples.Demo;

/// <summary>A step of the demo did not produce what it should have.</summary>
internal sealed class DemoStepException(string message) : Exception(message);
