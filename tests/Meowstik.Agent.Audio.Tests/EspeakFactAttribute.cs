namespace Meowstik.Agent.Audio.Tests;

/// <summary>A fact that needs the real espeak-ng; skipped, saying why, only when it is not installed.</summary>
public sealed class EspeakFactAttribute : FactAttribute
{
    public EspeakFactAttribute()
    {
        if (!new EspeakTts().IsAvailable)
        {
            Skip = "espeak-ng is not installed (apt-get install -y espeak-ng): the text-to-speech tests are skipped.";
        }
    }
}
