using Meowstik.Agent.Audio;

namespace Meowstik.Samples.Alexa;

/// <summary>
/// Stands in for espeak-ng when it is not installed (simulation only): a soft tone per word, of the length the words
/// would take at <c>wordsPerMinute</c>, so <c>speak</c> still produces a WAV of plausible duration. Its name says it is a
/// simulation, and <c>speak</c> reports it as the engine.
/// </summary>
public sealed class SimulatedSpeech(int wordsPerMinute = 175) : ITextToSpeech
{
    private static readonly AudioFormat Format = new(22050, 1);

    /// <inheritdoc />
    public string Name => "simulated-tone (espeak-ng not installed)";

    /// <inheritdoc />
    public bool IsAvailable => true;

    /// <inheritdoc />
    public ValueTask<AudioClip> SynthesizeAsync(string text, string? voice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        double wordSeconds = 60.0 / Math.Max(60, wordsPerMinute);
        int perWord = (int)(Format.SampleRate * wordSeconds);
        int gap = perWord / 4;
        var samples = new short[Math.Max(1, words.Length) * perWord];
        for (int w = 0; w < words.Length; w++)
        {
            double hz = 180 + (40 * (w % 3));                      // a little intonation
            for (int i = 0; i < perWord - gap; i++)
            {
                double envelope = Math.Sin(Math.PI * i / (perWord - gap));
                samples[(w * perWord) + i] = (short)(6000 * envelope * Math.Sin(2 * Math.PI * hz * i / Format.SampleRate));
            }
        }

        return ValueTask.FromResult(new AudioClip(Format, samples));
    }
}
