using RsStreamCurate.Contracts;

namespace RsStreamCurate.Synthesis;

/// <summary>One item of the candidate feed: a candidate to publish, or a manifest problem to dead-letter.</summary>
public sealed record FeedItem
{
    public CandidateCaption? Candidate { get; init; }

    /// <summary>Dead-letter reason when the manifest line could not be turned into candidates.</summary>
    public string? Reason { get; init; }

    public string? Detail { get; init; }

    /// <summary>Raw manifest line, kept for the dead letter.</summary>
    public string? RawLine { get; init; }

    /// <summary>Pass over the manifest that produced the item, starting at 0.</summary>
    public int Pass { get; init; }
}

/// <summary>
/// Turns a manifest into candidate messages: for each image, the candidates of <see cref="CaptionSynthesizer"/>
/// with deterministic ids, so a replay of the same pass yields the same ids.
/// </summary>
public sealed class CandidateFeed(SynthesisOptions options, TimeProvider timeProvider)
{
    /// <summary>Enumerates the feed; with <see cref="SynthesisOptions.Loop"/> it never ends until cancelled.</summary>
    public IEnumerable<FeedItem> Enumerate(CancellationToken cancellationToken)
    {
        string manifestPath = Path.GetFullPath(options.Manifest);
        string manifestFolder = Path.GetDirectoryName(manifestPath)!;
        string imageRoot = options.ResolveImageRoot();
        var synthesizer = new CaptionSynthesizer(new CaptionSynthesisSettings { DefectsPerImage = options.DefectsPerImage });

        for (int pass = 0; ; pass++)
        {
            var random = new Random(options.Seed + pass);
            int entries = 0;
            foreach (var line in ManifestReader.ReadLenient(manifestPath))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (line.Error is not null)
                {
                    yield return new FeedItem { Reason = DeadLetterReasons.InvalidManifestLine, Detail = line.Error, RawLine = line.RawLine, Pass = pass };
                    continue;
                }

                entries++;
                var entry = line.Entry!;
                ObjectCounts? counts = null;
                string? boxError = null;
                if (entry.BoxLabelPath is { Length: > 0 } boxes)
                {
                    try
                    {
                        counts = DotaLabels.Read(Path.Combine(manifestFolder, boxes));
                    }
                    catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
                    {
                        boxError = $"{manifestPath}:{line.LineNumber}: the box label file '{boxes}' could not be read ({ex.Message}); fix or remove the \"boxes\" field.";
                    }
                }

                if (boxError is not null)
                {
                    yield return new FeedItem { Reason = DeadLetterReasons.InvalidManifestLine, Detail = boxError, RawLine = line.RawLine, Pass = pass };
                    continue;
                }

                string imageUri = ToImageUri(imageRoot, manifestFolder, entry.ImagePath);
                var now = timeProvider.GetUtcNow();
                foreach (var caption in synthesizer.Synthesize(entry, random, counts))
                {
                    yield return new FeedItem
                    {
                        Pass = pass,
                        Candidate = new CandidateCaption
                        {
                            CandidateId = CandidateId.Compute(entry.ImageId, caption.Text, caption.Generator),
                            ImageId = entry.ImageId,
                            ImageUri = imageUri,
                            Text = caption.Text,
                            Generator = caption.Generator,
                            Label = entry.Label,
                            Defect = caption.Defect,
                            CreatedAt = now,
                        },
                    };
                }
            }

            if (!options.Loop || entries == 0)
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// Makes the image path relative to the image root. A path that leaves the root is passed on unchanged in
    /// meaning (with <c>..</c> segments) so the scorer rejects it with a dead letter rather than losing it here.
    /// </summary>
    public static string ToImageUri(string imageRoot, string manifestFolder, string imagePath)
    {
        if (Path.IsPathRooted(imagePath))
        {
            return Path.GetRelativePath(imageRoot, imagePath).Replace('\\', '/');
        }

        string full = Path.GetFullPath(Path.Combine(manifestFolder, imagePath));
        return Path.GetRelativePath(imageRoot, full).Replace('\\', '/');
    }
}
