using System.Text;
using Microsoft.ML.Tokenizers;

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
    /// <c>&lt;bos&gt;</c>, the token ids, <c>&lt;eos&gt;</c>, then padding. A text too long for
    /// <see cref="MaxLength"/> is cut and gets no <c>&lt;eos&gt;</c>.
    /// </summary>
    void Encode(string text, Span<long> ids);
}

/// <summary>
/// WordPiece tokenizer (Microsoft.ML.Tokenizers <see cref="WordPieceTokenizer"/>) over a vocabulary built from the
/// training captions, so nothing is downloaded at run time. The text is lower-cased and every character that is not
/// a letter or digit becomes a space. The vocabulary has the special tokens, then the whole words seen at least the
/// minimum count, then every character seen as a word start and as a <c>##</c> continuation. A rare or misspelled
/// word is therefore split into known pieces instead of mapping to <c>&lt;unk&gt;</c>. Every sequence starts with
/// <c>&lt;bos&gt;</c>, so an empty caption still has one real token, and a complete sequence ends with
/// <c>&lt;eos&gt;</c>, so the text tower can tell a finished sentence from a cut one.
/// </summary>
/// <remarks>
/// A vocabulary without character pieces (the word-level checkpoints of format 1) gives the same ids as before:
/// WordPiece maps a word that it cannot split into known pieces to <c>&lt;unk&gt;</c>.
/// </remarks>
public sealed class CaptionTokenizer : ICaptionTokenizer
{
    public const string PadToken = "<pad>";
    public const string UnknownToken = "<unk>";
    public const string BeginToken = "<bos>";
    public const string EndToken = "<eos>";

    /// <summary>Prefix of a WordPiece token that continues a word, as in BERT vocabularies.</summary>
    public const string ContinuationPrefix = "##";

    private readonly WordPieceTokenizer _wordPiece;

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

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in vocabulary)
        {
            if (string.IsNullOrEmpty(token) || token.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException($"The vocabulary contains the empty or whitespace token '{token}'.", nameof(vocabulary));
            }

            if (!seen.Add(token))
            {
                throw new ArgumentException($"The vocabulary contains '{token}' twice.", nameof(vocabulary));
            }
        }

        // The WordPiece vocabulary format is one token per line, the line number being the id.
        using var vocabularyStream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', vocabulary) + "\n"));
        _wordPiece = WordPieceTokenizer.Create(vocabularyStream, new WordPieceOptions
        {
            UnknownToken = UnknownToken,
            ContinuingSubwordPrefix = ContinuationPrefix,
        });

        Vocabulary = vocabulary.ToArray();
        MaxLength = maxLength;
    }

    /// <summary>Tokens by id; the first four are the special tokens.</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    public int VocabularySize => Vocabulary.Count;

    public int MaxLength { get; }

    public int PadId => 0;

    public int UnknownId => 1;

    public int BeginId => 2;

    public int EndId => 3;

    /// <summary>
    /// Builds a WordPiece vocabulary from training captions: words with at least <paramref name="minCount"/>
    /// occurrences, most frequent first with ties in ordinal order, then each character seen as a word start and
    /// as a <c>##</c> continuation, in ordinal order. The same captions give the same vocabulary.
    /// </summary>
    public static CaptionTokenizer Build(IEnumerable<string> captions, int minCount, int maxLength, bool characterPieces = true)
    {
        ArgumentNullException.ThrowIfNull(captions);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var characters = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var caption in captions)
        {
            foreach (var word in SplitWords(caption))
            {
                counts[word] = counts.GetValueOrDefault(word) + 1;
                foreach (var c in word)
                {
                    characters.Add(c.ToString());
                }
            }
        }

        var words = counts
            .Where(pair => pair.Value >= minCount)
            .OrderByDescending(pair => pair.Value)
            .ThenBy(pair => pair.Key, StringComparer.Ordinal)
            .Select(pair => pair.Key)
            .ToList();

        var tokens = new List<string> { PadToken, UnknownToken, BeginToken, EndToken };
        tokens.AddRange(words);
        if (characterPieces)
        {
            var known = words.ToHashSet(StringComparer.Ordinal);
            tokens.AddRange(characters.Where(c => !known.Contains(c)));
            tokens.AddRange(characters.Select(c => ContinuationPrefix + c));
        }

        return new CaptionTokenizer(tokens, maxLength);
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
        var normalised = string.Join(' ', SplitWords(text ?? ""));
        if (normalised.Length > 0)
        {
            foreach (var id in _wordPiece.EncodeToIds(normalised))
            {
                if (position == MaxLength)
                {
                    break;
                }

                ids[position++] = id;
            }
        }

        if (position < MaxLength)
        {
            ids[position] = EndId;
        }
    }

    /// <summary>Returns the tokens of a caption as strings, without the special tokens, for inspection and tests.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        var normalised = string.Join(' ', SplitWords(text ?? ""));
        return normalised.Length == 0 ? [] : _wordPiece.EncodeToIds(normalised).Select(id => Vocabulary[id]).ToList();
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
