using System.Text.RegularExpressions;

namespace RsStreamCurate.Synthesis.Tests;

public sealed class CaptionDefectsTests
{
    private const string Caption = "two white planes are parked near a long runway of the airport";

    private const string CaptionWithBackground = "two white planes are parked near some buildings and trees at the airport";

    [Fact]
    public void Every_kind_differs_from_source()
    {
        foreach (var kind in CaptionDefects.AllKinds)
        {
            Assert.True(CaptionDefects.TryApply(kind, CaptionWithBackground, "Airport", new Random(7), out var defective), $"{kind} could not be applied");
            Assert.NotEqual(CaptionWithBackground, defective);
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

    [Fact]
    public void Incomplete_drops_salient_objects()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            Assert.True(CaptionDefects.TryApply(DefectKind.Incomplete, CaptionWithBackground, "Airport", new Random(seed), out var defective));

            Assert.StartsWith("there are some ", defective);
            Assert.DoesNotContain("plane", defective);
            Assert.DoesNotContain("airport", defective);
            Assert.True(defective.Contains("buildings") || defective.Contains("trees"), defective);
        }
    }

    [Fact]
    public void Incomplete_needs_background_and_subject()
    {
        Assert.False(CaptionDefects.TryApply(DefectKind.Incomplete, "a plane is on the runway", "Airport", new Random(1), out _));
        Assert.False(CaptionDefects.TryApply(DefectKind.Incomplete, "many green trees and some buildings", "DenseResidential", new Random(1), out _));
    }

    [Fact]
    public void Vague_replaces_remote_sensing_terms()
    {
        Assert.True(CaptionDefects.TryApply(DefectKind.Vague, "several storage tanks are next to a parking lot", "StorageTanks", new Random(1), out var defective));

        Assert.Equal("several round things are next to an open area", defective);
        Assert.False(CaptionDefects.TryApply(DefectKind.Vague, "many green trees", "Forest", new Random(1), out _));
    }

    [Fact]
    public void Every_kind_has_a_dimension()
    {
        var dimensions = CaptionDefects.AllKinds.Select(CaptionDefects.Dimension).ToHashSet();

        Assert.Equal(Enum.GetValues<QualityDimension>().ToHashSet(), dimensions);
        Assert.Equal(QualityDimension.Relevance, CaptionDefects.Dimension(DefectKind.WrongCount));
        Assert.Equal(QualityDimension.Richness, CaptionDefects.Dimension(DefectKind.Vague));
        Assert.Equal("completeness", CaptionDefects.Name(QualityDimension.Completeness));
    }

    [Fact]
    public void Each_kind_applies_to_rsicd_captions()
    {
        var captions = ManifestReader.Read(SharedData.RsicdManifest)
            .SelectMany(e => CaptionSynthesizer.DistinctHumanCaptions(e.Captions).Select(c => (Caption: c, e.Label)))
            .ToList();
        var random = new Random(3);

        foreach (var kind in CaptionDefects.AllKinds)
        {
            int applied = captions.Count(c => CaptionDefects.TryApply(kind, c.Caption, c.Label, random, out _));
            Assert.True(applied >= captions.Count / 10, $"{kind} applies to only {applied} of {captions.Count} RSICD captions");
        }
    }
}
