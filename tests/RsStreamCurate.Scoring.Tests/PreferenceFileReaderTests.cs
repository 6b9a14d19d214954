using RsStreamCurate.Training;

namespace RsStreamCurate.Scoring.Tests;

public sealed class PreferenceFileReaderTests
{
    [Fact]
    public void String_and_list_rejected_give_pairs()
    {
        var path = Write(
            """{"image":"images/a.jpg","chosen":"a plane on the runway","rejected":"an aerial image"}""",
            "",
            """{"image":"images/b.jpg","question":"what is there?","chosen":"two ships","rejected":["three ships","a bridge"]}""");

        var pairs = PreferenceFileReader.Read(path);

        Assert.Equal(3, pairs.Count);
        Assert.Equal(new PreferencePair("a.jpg", "images/a.jpg", "a plane on the runway", "an aerial image", PreferenceFileReader.ImportedKind), pairs[0]);
        Assert.Equal(["three ships", "a bridge"], pairs.Skip(1).Select(p => p.Rejected));
        Assert.All(pairs.Skip(1), p => Assert.Equal("two ships", p.Chosen));
    }

    [Theory]
    [InlineData("{oops", ":1: the line is not valid JSON")]
    [InlineData("""{"chosen":"x","rejected":"y"}""", "\"image\" field is missing")]
    [InlineData("""{"image":"a.jpg","rejected":"y"}""", "\"chosen\" field is missing")]
    [InlineData("""{"image":"a.jpg","chosen":"x"}""", "\"rejected\" field is missing")]
    [InlineData("""{"image":"a.jpg","chosen":"x","rejected":[]}""", "empty list")]
    [InlineData("""{"image":"a.jpg","chosen":"x","rejected":[1]}""", "must be a string")]
    [InlineData("""{"image":"a.jpg","chosen":"x","rejected":"x"}""", "equals the chosen text")]
    [InlineData("""{"image":"a.jpg","chosen":"x","rejected":7}""", "a string or a list")]
    public void Invalid_line_names_problem(string line, string expected)
    {
        var path = Write(line);

        var error = Assert.Throws<PreferenceFileException>(() => PreferenceFileReader.Read(path));

        Assert.Contains(expected, error.Message);
        Assert.Contains(path, error.Message);
    }

    private static string Write(params string[] lines)
    {
        var path = Path.Combine(Path.GetTempPath(), $"prefs-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }
}
