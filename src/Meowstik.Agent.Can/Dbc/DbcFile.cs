using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Meowstik.Agent.Can.Dbc;

/// <summary>A DBC file's content is malformed where the decoder needs it.</summary>
public sealed class DbcParseException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="line">The 1-based line.</param>
    /// <param name="message">What is wrong.</param>
    public DbcParseException(int line, string message)
        : base($"DBC line {line}: {message}")
    {
        Line = line;
    }

    /// <summary>The 1-based line number.</summary>
    public int Line { get; }
}

/// <summary>
/// A parsed DBC file: its messages (<c>BO_</c>), signals (<c>SG_</c>, Intel and Motorola, signed and unsigned, multiplexed
/// <c>M</c>/<c>m&lt;n&gt;</c>) and value tables (<c>VAL_</c>). Comments (<c>CM_</c>), attributes (<c>BA_DEF_</c>, <c>BA_</c>, …)
/// and the other sections are skipped, also when a quoted string in them spans lines or holds a <c>;</c>.
/// </summary>
public sealed partial class DbcFile
{
    private readonly Dictionary<uint, DbcMessage> _byKey;
    private readonly DbcMessage[] _messages;

    private DbcFile(DbcMessage[] messages, IReadOnlyList<string> nodes)
    {
        _messages = messages;
        Nodes = nodes;
        _byKey = new Dictionary<uint, DbcMessage>(messages.Length);
        foreach (DbcMessage m in messages)
        {
            _byKey[Key(m.Id, m.IsExtended)] = m;
        }
    }

    /// <summary>The messages, in file order.</summary>
    public IReadOnlyList<DbcMessage> Messages => _messages;

    /// <summary>The nodes (<c>BU_</c>).</summary>
    public IReadOnlyList<string> Nodes { get; }

    /// <summary>Finds the message for a frame's id (a standard and an extended id never match each other).</summary>
    /// <param name="id">The CAN id.</param>
    /// <param name="isExtended">Whether it is extended.</param>
    /// <param name="message">The message.</param>
    /// <returns>Whether the file defines it.</returns>
    public bool TryGetMessage(uint id, bool isExtended, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DbcMessage? message) =>
        _byKey.TryGetValue(Key(id, isExtended), out message);

    /// <summary>Finds a message by name.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The message or null.</returns>
    public DbcMessage? FindMessage(string name) => Array.Find(_messages, m => m.Name == name);

    /// <summary>
    /// Decodes a frame into <paramref name="destination"/> without allocating (see <see cref="DbcMessage.Decode(in CanFrame, Span{DecodedSignal})"/>).
    /// </summary>
    /// <param name="frame">The frame.</param>
    /// <param name="destination">Room for the signals.</param>
    /// <param name="message">The frame's message, or null when the file does not define it (or it is a remote/error frame).</param>
    /// <returns>The number of signals written.</returns>
    public int Decode(in CanFrame frame, Span<DecodedSignal> destination, out DbcMessage? message)
    {
        if ((frame.Flags & (CanFrameFlags.Remote | CanFrameFlags.Error)) != 0 || !_byKey.TryGetValue(Key(frame.Id, frame.IsExtended), out message))
        {
            message = null;
            return 0;
        }

        return message.Decode(frame.DataLittleEndian, destination);
    }

    /// <summary>Reads and parses a DBC file (UTF-8, or Latin-1 when it is not valid UTF-8, as older tools write).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The parsed file.</returns>
    /// <exception cref="DbcParseException">A <c>BO_</c>, <c>SG_</c> or <c>VAL_</c> line is malformed.</exception>
    public static DbcFile Load(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            text = Encoding.Latin1.GetString(bytes);
        }

        return Parse(text);
    }

    /// <summary>Parses DBC text.</summary>
    /// <param name="text">The content.</param>
    /// <returns>The parsed file.</returns>
    /// <exception cref="DbcParseException">A <c>BO_</c>, <c>SG_</c> or <c>VAL_</c> line is malformed.</exception>
    public static DbcFile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var messages = new List<(uint Raw, string Name, int Length, string Tx, List<DbcSignal> Signals)>();
        var values = new List<(int Line, uint RawId, string Signal, Dictionary<long, string> Table)>();
        var nodes = new List<string>();
        string[] lines = text.ReplaceLineEndings("\n").Split('\n');
        bool inNamespace = false;
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            if (inNamespace)
            {
                if (char.IsWhiteSpace(line[0]))
                {
                    continue;                       // NS_ lists keywords on indented lines: not statements
                }

                inNamespace = false;
            }

            string keyword = FirstToken(trimmed);
            switch (keyword)
            {
                case "NS_":
                    inNamespace = true;
                    break;
                case "BU_":
                case "BU_:":
                    int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
                    nodes.AddRange(trimmed[(colon + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
                    break;
                case "BO_":
                    Match bo = MessageLine().Match(trimmed);
                    if (!bo.Success)
                    {
                        throw new DbcParseException(i + 1, $"malformed BO_ line: '{trimmed}'.");
                    }

                    messages.Add((uint.Parse(bo.Groups["id"].ValueSpan, CultureInfo.InvariantCulture), bo.Groups["name"].Value,
                        int.Parse(bo.Groups["dlc"].ValueSpan, CultureInfo.InvariantCulture), bo.Groups["tx"].Value, []));
                    break;
                case "SG_":
                    if (messages.Count == 0)
                    {
                        throw new DbcParseException(i + 1, "SG_ before any BO_.");
                    }

                    messages[^1].Signals.Add(ParseSignal(trimmed, i + 1));
                    break;
                case "VAL_":
                {
                    int start = i;
                    string statement = ReadStatement(lines, ref i);
                    values.Add(ParseValues(statement, start + 1));
                    break;
                }

                default:
                    // CM_, BA_DEF_, BA_, BA_DEF_DEF_, VAL_TABLE_, SIG_VALTYPE_, BO_TX_BU_, EV_, SIG_GROUP_, VERSION, BS_ …:
                    // not needed to decode; skipped up to their ';' (quoted strings may span lines and hold ';').
                    if (keyword is "VERSION" or "BS_" or "BS_:")
                    {
                        break;
                    }

                    ReadStatement(lines, ref i);
                    break;
            }
        }

        var built = new DbcMessage[messages.Count];
        for (int m = 0; m < messages.Count; m++)
        {
            (uint raw, string name, int length, string tx, List<DbcSignal> signals) = messages[m];
            bool extended = (raw & 0x8000_0000) != 0;
            uint id = raw & 0x1FFF_FFFF;
            built[m] = new DbcMessage(id, extended, name, length, tx, signals);
        }

        var file = new DbcFile(built, nodes);
        foreach ((int line, uint rawId, string signal, Dictionary<long, string> table) in values)
        {
            if (file.TryGetMessage(rawId & 0x1FFF_FFFF, (rawId & 0x8000_0000) != 0, out DbcMessage? message) && message.FindSignal(signal) is { } s)
            {
                s.ValueDescriptions = table;
            }

            // A VAL_ for an unknown message or signal (environment variables use VAL_ too) is ignored, as cantools does.
            _ = line;
        }

        return file;
    }

    private static uint Key(uint id, bool extended) => extended ? id | 0x8000_0000 : id;

    private static string FirstToken(string trimmed)
    {
        int end = 0;
        while (end < trimmed.Length && !char.IsWhiteSpace(trimmed[end]))
        {
            end++;
        }

        return trimmed[..end];
    }

    /// <summary>Joins lines from <paramref name="i"/> until a ';' outside quotes; leaves <paramref name="i"/> on the last line.</summary>
    private static string ReadStatement(string[] lines, ref int i)
    {
        var sb = new StringBuilder();
        bool quoted = false;
        for (; i < lines.Length; i++)
        {
            string line = lines[i];
            for (int c = 0; c < line.Length; c++)
            {
                char ch = line[c];
                if (ch == '\\' && quoted && c + 1 < line.Length)
                {
                    sb.Append(ch).Append(line[++c]);
                    continue;
                }

                if (ch == '"')
                {
                    quoted = !quoted;
                }

                sb.Append(ch);
                if (ch == ';' && !quoted)
                {
                    return sb.ToString();
                }
            }

            sb.Append('\n');
            if (!quoted && i + 1 < lines.Length && lines[i + 1].TrimStart() is { } next && (next.StartsWith("BO_ ", StringComparison.Ordinal) || next.StartsWith("SG_ ", StringComparison.Ordinal)))
            {
                break;                              // a statement missing its ';' does not swallow the messages after it
            }
        }

        return sb.ToString();                       // a last statement without ';' ends with the file
    }

    private static DbcSignal ParseSignal(string line, int lineNumber)
    {
        Match m = SignalLine().Match(line);
        if (!m.Success)
        {
            throw new DbcParseException(lineNumber, $"malformed SG_ line: '{line}'.");
        }

        string mux = m.Groups["mux"].Value;
        DbcMultiplexRole role = DbcMultiplexRole.None;
        long muxValue = 0;
        if (mux == "M")
        {
            role = DbcMultiplexRole.Multiplexor;
        }
        else if (mux.Length > 1)
        {
            // m<n>, or m<n>M (extended multiplexing: multiplexed here, and a multiplexor of a further level, not decoded).
            role = DbcMultiplexRole.Multiplexed;
            muxValue = long.Parse(mux.AsSpan(1).TrimEnd('M'), CultureInfo.InvariantCulture);
        }

        try
        {
            return new DbcSignal(
                m.Groups["name"].Value,
                int.Parse(m.Groups["start"].ValueSpan, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["len"].ValueSpan, CultureInfo.InvariantCulture),
                m.Groups["order"].Value == "1" ? DbcByteOrder.Intel : DbcByteOrder.Motorola,
                m.Groups["sign"].Value == "-",
                Number(m.Groups["factor"].Value, lineNumber),
                Number(m.Groups["offset"].Value, lineNumber))
            {
                Minimum = Number(m.Groups["min"].Value, lineNumber),
                Maximum = Number(m.Groups["max"].Value, lineNumber),
                Unit = m.Groups["unit"].Value,
                Receivers = m.Groups["rx"].Value.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries),
                MultiplexRole = role,
                MultiplexValue = muxValue,
            };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new DbcParseException(lineNumber, e.Message);
        }
    }

    private static (int Line, uint RawId, string Signal, Dictionary<long, string> Table) ParseValues(string statement, int lineNumber)
    {
        List<string> tokens = Tokenize(statement);
        // VAL_ <id> <signal> { <value> "<text>" } ;   (an environment variable's VAL_ has no id: skipped below)
        if (tokens.Count < 3 || !uint.TryParse(tokens[1], NumberStyles.None, CultureInfo.InvariantCulture, out uint id))
        {
            return (lineNumber, uint.MaxValue, "", []);
        }

        var table = new Dictionary<long, string>();
        for (int t = 3; t + 1 < tokens.Count; t += 2)
        {
            if (tokens[t] == ";")
            {
                break;
            }

            if (!double.TryParse(tokens[t], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                throw new DbcParseException(lineNumber, $"VAL_ {id} {tokens[2]}: '{tokens[t]}' is not a number.");
            }

            table[(long)value] = tokens[t + 1];
        }

        return (lineNumber, id, tokens[2], table);
    }

    private static List<string> Tokenize(string statement)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < statement.Length)
        {
            char c = statement[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < statement.Length && statement[i] != '"')
                {
                    if (statement[i] == '\\' && i + 1 < statement.Length)
                    {
                        i++;
                    }

                    sb.Append(statement[i++]);
                }

                i++;
                tokens.Add(sb.ToString());
            }
            else if (c == ';')
            {
                tokens.Add(";");
                i++;
            }
            else
            {
                int start = i;
                while (i < statement.Length && !char.IsWhiteSpace(statement[i]) && statement[i] is not ';' and not '"')
                {
                    i++;
                }

                tokens.Add(statement[start..i]);
            }
        }

        return tokens;
    }

    private static double Number(string text, int lineNumber) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v
            : throw new DbcParseException(lineNumber, $"'{text}' is not a number.");

    [GeneratedRegex(@"^BO_\s+(?<id>\d+)\s+(?<name>[A-Za-z0-9_]+)\s*:\s*(?<dlc>\d+)\s*(?<tx>\S*)", RegexOptions.CultureInvariant)]
    private static partial Regex MessageLine();

    [GeneratedRegex(@"^SG_\s+(?<name>[A-Za-z0-9_]+)\s*(?<mux>M|m\d+M?)?\s*:\s*(?<start>\d+)\s*\|\s*(?<len>\d+)\s*@\s*(?<order>[01])\s*(?<sign>[+-])\s*\(\s*(?<factor>[^,\s]+)\s*,\s*(?<offset>[^)\s]+)\s*\)\s*\[\s*(?<min>[^|\s]+)\s*\|\s*(?<max>[^\]\s]+)\s*\]\s*""(?<unit>[^""]*)""\s*(?<rx>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex SignalLine();
}
