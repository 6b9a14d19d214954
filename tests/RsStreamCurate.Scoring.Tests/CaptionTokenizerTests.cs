namespace RsStreamCurate.Scoring.Tests;

public sealed class CaptionTokenizerTests
{
    private static readonly CaptionTokenizer Tokenizer = CaptionTokenizer.Build(
        ["A plane is on the runway.", "a plane, near the runway", "some trees"], minCount: 2, maxLength: 6, characterPieces: false);

    private static readonly CaptionTokenizer WordPiece = CaptionTokenizer.Build(
        ["A plane is on the runway.", "a plane, near the runway", "some trees"], minCount: 2, maxLength: 12);

    private static long[] Encode(string text)
    {
        var ids = new long[Tokenizer.MaxLength];
        Tokenizer.Encode(text, ids);
        return ids;
    }

    [Fact]
    public void Vocabulary_keeps_words_above_min_count()
    {
        Assert.Equal(["<pad>", "<unk>", "<bos>", "<eos>", "a", "plane", "runway", "the"], Tokenizer.Vocabulary);
    }

    [Fact]
    public void Case_and_punctuation_are_ignored()
    {
        Assert.Equal(Encode("a plane the runway"), Encode("A PLANE: the runway!"));
    }

    [Fact]
    public void Empty_text_is_bos_and_eos()
    {
        Assert.Equal([2, 3, 0, 0, 0, 0], Encode(""));
        Assert.Equal([2, 3, 0, 0, 0, 0], Encode("  ... "));
    }

    [Fact]
    public void Unknown_words_map_to_unk()
    {
        Assert.Equal([2, 1, 5, 1, 3, 0], Encode("green plane trees"));
    }

    [Fact]
    public void Long_text_is_cut_without_eos()
    {
        Assert.Equal([2, 4, 4, 4, 4, 4], Encode("a a a a a a a a"));
        Assert.Equal([2, 4, 4, 4, 4, 3], Encode("a a a a"));
    }

    [Fact]
    public void Vocabulary_round_trips()
    {
        var copy = new CaptionTokenizer(Tokenizer.Vocabulary, Tokenizer.MaxLength);

        Assert.Equal(Encode("a plane on the runway"), CopyEncode(copy, "a plane on the runway"));
    }

    [Fact]
    public void WordPiece_vocabulary_adds_character_pieces()
    {
        Assert.Equal(["<pad>", "<unk>", "<bos>", "<eos>", "a", "plane", "runway", "the"], WordPiece.Vocabulary.Take(8));
        Assert.Contains("##y", WordPiece.Vocabulary);
        Assert.Contains("y", WordPiece.Vocabulary);
        Assert.Single(WordPiece.Vocabulary, token => token == "a");
    }

    [Fact]
    public void WordPiece_splits_rare_words()
    {
        Assert.Equal(["plane", "s", "##o", "##m", "##e"], WordPiece.Tokenize("plane some"));
        Assert.Equal(["t", "##r", "##e", "##e", "##s"], WordPiece.Tokenize("Trees!"));
    }

    [Fact]
    public void WordPiece_unseen_character_maps_to_unk()
    {
        var ids = CopyEncode(WordPiece, "plane zoo");

        Assert.Equal([2, 5, 1, 3], ids.Take(4));
    }

    [Fact]
    public void WordPiece_vocabulary_round_trips()
    {
        var copy = new CaptionTokenizer(WordPiece.Vocabulary, WordPiece.MaxLength);

        Assert.Equal(CopyEncode(WordPiece, "some trees near a runway"), CopyEncode(copy, "some trees near a runway"));
    }

    [Fact]
    public void Duplicate_token_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => new CaptionTokenizer(["<pad>", "<unk>", "<bos>", "<eos>", "a", "a"], 4));
    }

    private static long[] CopyEncode(CaptionTokenizer tokenizer, string text)
    {
        var ids = new long[tokenizer.MaxLength];
        tokenizer.Encode(text, ids);
        return ids;
    }
}
