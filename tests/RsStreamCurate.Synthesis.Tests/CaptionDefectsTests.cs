using System.Text.RegularExpressions;

namespace RsStreamCurate.Synthesis.Tests;

public sealed class CaptionDefectsTests
{
    private const string Caption = "two white planes are parked near a long runway of the airport";

    [Fact]
    public void Every_kind_differs_from_source()
    {
        foreach (var kind in CaptionDefects.AllKinds)
        {
            Assert.True(CaptionDefects.TryApply(kind, Caption, "Airport", new Random(7), out var defective), $"{kind} could not be applied");
            Assert.NotEqual(Caption, defective);
            Assert.False(string.IsNullOrWhiteSpace(defective), $"{kind} produced empty text");
        }
    }

    [Fact]
    public void Wrong_count_changes_number_only()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            Assert.True(CaptionDefects.TryApply(DefectKind.WrongCount, Caption, "Airport", new Random(seed), out var defective));

            var before = Caption.Split(' ');
            var after = defective.Split(' ');
            Assert.Equal(before.Length, after.Length);
            Assert.Equal("two", before[0]);
            Assert.NotEqual("two", after[0]);
            Assert.Equal(before[1..], after[1..]);
        }
    }

    [Fact]
    public void Wrong_count_needs_count()
    {
        Assert.False(CaptionDefects.TryApply(DefectKind.WrongCount, "a plane is on the runway", "Airport", new Random(1), out _));
    }

    [Fact]
    public void Wrong_class_swaps_scene_noun()
    {
        Assert.True(CaptionDefects.TryApply(DefectKind.WrongClass, "a bridge is over the river", "Bridge", new Random(3), out var defective));

        var changed = defective.Split(' ').Zip("a bridge is over the river".Split(' ')).Count(p => p.First != p.Second);
        Assert.True(changed >= 1, defective);
        Assert.StartsWith("a ", defective);
    }

    [Fact]
    public void Hallucination_adds_object_absent_from_scene()
    {
        for (int seed = 0; seed < 30; seed++)
        {
            Assert.True(CaptionDefects.TryApply(DefectKind.HallucinatedObject, "many ships are in the port", "Port", new Random(seed), out var defective));

            Assert.StartsWith("many ships are in the port ", defective);
            Assert.DoesNotContain("harbor", defective[27..]);
            Assert.DoesNotContain("ships", defective[27..]);
        }
    }

    [Fact]
    public void Truncation_keeps_a_prefix()
    {
        Assert.True(CaptionDefects.TryApply(DefectKind.Truncated, Caption, null, new Random(5), out var defective));

        Assert.StartsWith(defective, Caption);
        Assert.InRange(defective.Split(' ').Length, 2, Caption.Split(' ').Length - 2);
        Assert.False(CaptionDefects.TryApply(DefectKind.Truncated, "a green meadow", null, new Random(5), out _));
    }

    [Fact]
    public void Garbling_repeats_words()
    {
        Assert.True(CaptionDefects.TryApply(DefectKind.Garbled, Caption, null, new Random(11), out var defective));

        Assert.True(defective.Split(' ').Length > Caption.Split(' ').Length);
        Assert.Equal(Caption.Split(' ').ToHashSet(), defective.Split(' ').ToHashSet());
    }

    [Fact]
    public void Defects_are_reproducible_from_seed()
    {
        foreach (var kind in CaptionDefects.AllKinds)
        {
            CaptionDefects.TryApply(kind, Caption, "Airport", new Random(42), out var first);
            CaptionDefects.TryApply(kind, Caption, "Airport", new Random(42), out var second);
            Assert.Equal(first, second);
        }
    }

    [Fact]
    public void Defective_text_stays_plain_words()
    {
        var entries = ManifestReader.Read(SharedData.RsicdManifest).Take(200);
        var random = new Random(9);
        foreach (var entry in entries)
        {
            foreach (var caption in CaptionSynthesizer.DistinctHumanCaptions(entry.Captions))
            {
                foreach (var kind in CaptionDefects.AllKinds)
                {
                    if (CaptionDefects.TryApply(kind, caption, entry.Label, random, out var defective))
                    {
                        Assert.Matches(new Regex(@"^[a-z0-9][a-z0-9 ,'_.\-]*$"), defective);
                    }
                }
            }
        }
    }
}
