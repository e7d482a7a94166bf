using System.Diagnostics;
using System.Text;

namespace Meowstik.Agent.Audio;

/// <summary>Turns text into speech (PCM) for <c>speak</c>.</summary>
public interface ITextToSpeech
{
    /// <summary>The engine's name, e.g. <c>espeak-ng</c>.</summary>
    string Name { get; }

    /// <summary>Whether the engine can run here (its program is installed).</summary>
    bool IsAvailable { get; }

    /// <summary>Speaks <paramref name="text"/> into a clip.</summary>
    /// <param name="text">The text, already checked (length, control characters).</param>
    /// <param name="voice">A voice name, or null for the engine's configured default.</param>
    /// <param name="cancellationToken">Cancels the synthesis.</param>
    /// <returns>The speech.</returns>
    /// <exception cref="TextToSpeechException">The engine is missing or failed.</exception>
    ValueTask<AudioClip> SynthesizeAsync(string text, string? voice, CancellationToken cancellationToken);
}

/// <summary>Text-to-speech failed; <see cref="Unavailable"/> when the engine is not installed.</summary>
public sealed class TextToSpeechException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TextToSpeechException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    public TextToSpeechException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause.</param>
    public TextToSpeechException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="unavailable">True when the engine is not installed.</param>
    public TextToSpeechException(string message, bool unavailable)
        : base(message)
    {
        Unavailable = unavailable;
    }

    /// <summary>True when the engine is not installed (as opposed to failing).</summary>
    public bool Unavailable { get; }
}

/// <summary>
/// espeak-ng as a process: <c>espeak-ng --stdout -v VOICE -s WPM -- TEXT</c> (an argument list, never a shell; <c>--</c>
/// ends the options so a text starting with <c>-</c> stays text), its stdout a WAV (22.05 kHz mono).
/// </summary>
public sealed class EspeakTts : ITextToSpeech
{
    /// <summary>Creates the engine.</summary>
    /// <param name="command">The espeak-ng executable (a name on PATH or a path).</param>
    /// <param name="voice">The default voice, e.g. <c>en</c>, <c>en-us</c>, <c>en+f3</c>.</param>
    /// <param name="wordsPerMinute">The speaking rate (espeak-ng's <c>-s</c>).</param>
    /// <param name="timeout">The longest a synthesis may take.</param>
    public EspeakTts(string command = "espeak-ng", string voice = "en", int wordsPerMinute = 175, TimeSpan? timeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        ArgumentException.ThrowIfNullOrWhiteSpace(voice);
        Command = command;
        Voice = voice;
        WordsPerMinute = wordsPerMinute;
        Timeout = timeout ?? TimeSpan.FromSeconds(30);
    }

    /// <summary>The executable.</summary>
    public string Command { get; }

    /// <summary>The default voice.</summary>
    public string Voice { get; }

    /// <summary>The speaking rate.</summary>
    public int WordsPerMinute { get; }

    /// <summary>The longest a synthesis may take.</summary>
    public TimeSpan Timeout { get; }

    /// <inheritdoc />
    public string Name => "espeak-ng";

    /// <inheritdoc />
    public bool IsAvailable => ExternalTool.Find(Command) is not null;

    /// <inheritdoc />
    public async ValueTask<AudioClip> SynthesizeAsync(string text, string? voice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        string executable = ExternalTool.Find(Command)
            ?? throw new TextToSpeechException($"No text-to-speech engine: '{Command}' is not installed (apt-get install espeak-ng).", unavailable: true);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        using Process process = ExternalTool.Start(executable,
            ["--stdout", "-v", voice ?? Voice, "-s", ExternalTool.Inv(WordsPerMinute), "--", text],
            redirectInput: false, redirectOutput: true);
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                if (e.Data is not null && errors.Length < 500)
                {
                    errors.AppendLine(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        using var wav = new MemoryStream();
        try
        {
            await process.StandardOutput.BaseStream.CopyToAsync(wav, deadline.Token).ConfigureAwait(false);
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            ExternalTool.Kill(process);
            throw new TextToSpeechException($"espeak-ng took longer than {Timeout.TotalSeconds:0.#} s.");
        }
        catch (OperationCanceledException)
        {
            ExternalTool.Kill(process);
            throw;
        }

        string why;
        lock (errors)
        {
            why = errors.ToString().Trim();
        }

        if (process.ExitCode != 0 || wav.Length <= 44)
        {
            throw new TextToSpeechException($"espeak-ng failed (exit {process.ExitCode}){(why.Length > 0 ? ": " + why : ".")}");
        }

        try
        {
            return WavFile.Parse(wav.GetBuffer().AsSpan(0, (int)wav.Length));
        }
        catch (InvalidDataException e)
        {
            throw new TextToSpeechException($"espeak-ng wrote no usable WAV: {e.Message}", e);
        }
    }
}
