using System.Text;

namespace RsStreamCurate.Scoring;

/// <summary>Turns caption text into a fixed-length sequence of token ids for the text tower.</summary>
public interface ICaptionTokenizer
{
    /// <summary>Number of distinct ids, including the special tokens.</summary>
    int VocabularySize { get; }

    /// <summary>Length of every encoded sequence, including the leading <c>&lt;bos&gt;</c> token.</summary>
    int MaxLength { get; }

    /// <summary>Id used for padding; padded positions are ignored by the text tower.</summary>
    int PadId { get; }

    /// <summary>
    /// Writes the ids of <paramref name="text"/> into <paramref name="ids"/> (length <see cref="MaxLength"/>):
    /// <c>&lt;bos&gt;</c>, one id per word, <c>&lt;eos&gt;</c>, then padding. A text too long for
    /// <see cref="MaxLength"/> is cut and gets no <c>&lt;eos&gt;</c>.
    /// </summary>
    void Encode(string text, Span<long> ids);
}

/// <summary>
/// Word-level tokenizer: lower-cases, replaces every character that is not a letter or digit with a space and
/// splits on whitespace. Words seen fewer than the minimum count in the training text map to <c>&lt;unk&gt;</c>.
/// Every sequence starts with <c>&lt;bos&gt;</c>, so an empty caption still has one real token, and a complete
/// sequence ends with <c>&lt;eos&gt;</c>, so the text tower can tell a finished sentence from a cut one.
/// </summary>
public sealed class CaptionTokenizer : ICaptionTokenizer
{
    public const string PadToken = "<pad>";
    public const string UnknownToken = "<unk>";
    public const string BeginToken = "<bos>";
    public const string EndToken = "<eos>";

    private readonly Dictionary<string, int> _ids;

    public CaptionTokenizer(IReadOnlyList<string> vocabulary, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (maxLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be at least 2 (<bos> and one word or <eos>).");
        }

        if (vocabulary.Count < 4 || vocabulary[0] != PadToken || vocabulary[1] != UnknownToken || vocabulary[2] != BeginToken || vocabulary[3] != EndToken)
        {
            throw new ArgumentException($"The vocabulary must start with {PadToken}, {UnknownToken}, {BeginToken} and {EndToken}.", nameof(vocabulary));
        }

        _ids = new Dictionary<string, int>(vocabulary.Count, StringComparer.Ordinal);
        for (int i = 0; i < vocabulary.Count; i++)
        {
            if (!_ids.TryAdd(vocabulary[i], i))
            {
                throw new ArgumentException($"The vocabulary contains '{vocabulary[i]}' twice.", nameof(vocabulary));
            }
        }

        Vocabulary = vocabulary.ToArray();
        MaxLength = maxLength;
    }

    /// <summary>Words by id; the first four are the special tokens.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    public int VocabularySize => Vocabulary.Count;

    public int MaxLength { get; }

    public int PadId => 0;

    public int UnknownId => 1;

    public int BeginId => 2;

    public int EndId => 3;

    /// <summary>
    /// Builds a vocabulary from training captions: words with at least <paramref name="minCount"/>
    /// occurrences, most frequent first, ties in ordinal order so that the result is deterministic.
    /// </summary>
    public static CaptionTokenizer Build(IEnumerable<string> captions, int minCount, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(captions);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var caption in captions)
        {
            foreach (var word in SplitWords(caption))
            {
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }

        var words = counts
            .Where(pair => pair.Value >= minCount)
            .OrderByDescending(pair => pair.Value)
            .ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => pair.Key);

        return new CaptionTokenizer([PadToken, UnknownToken, BeginToken, EndToken, .. words], maxLength);
    }

    public void Encode(string text, Span<long> ids)
    {
        if (ids.Length != MaxLength)
        {
            throw new ArgumentException($"The id buffer has length {ids.Length}; it must have MaxLength {MaxLength}.", nameof(ids));
        }

        ids.Fill(PadId);
        ids[0] = BeginId;
        int position = 1;
        foreach (var word in SplitWords(text ?? ""))
        {
            if (position == MaxLength)
            {
                break;
            }

            ids[position++] = _ids.GetValueOrDefault(word, UnknownId);
        }

        if (position < MaxLength)
        {
            ids[position] = EndId;
        }
    }

    /// <summary>Returns the lower-case words of a caption, with punctuation removed.</summary>
    public static IEnumerable<string> SplitWords(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ');
        }

        return builder.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }
}
