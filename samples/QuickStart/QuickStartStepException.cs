namespace QuickStart;

/// <summary>A step of the walkthrough did not produce what it should have.</summary>
internal sealed class QuickStartStepException(string message) : Exception(message);
