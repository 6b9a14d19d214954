using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;

namespace RsStreamCurate.Training.Experiments;

/// <summary>
/// One candidate caption of a pool image with the two scores of the checkpoint that ranked it.
/// <see cref="ImageIndex"/> is the position of the image in <see cref="CandidatePool.Images"/>.
/// </summary>
public sealed record PoolCandidate(int ImageIndex, string Text, string Generator, string? Defect)
{
    /// <summary>Learned reward of the checkpoint; NaN until the pool is scored.</summary>
    public double Score { get; init; } = double.NaN;

    /// <summary>Cosine similarity of the checkpoint's embeddings (the CLIP-score); NaN until the pool is scored.</summary>
    public double ClipScore { get; init; } = double.NaN;

    public bool IsHuman => Generator == "human";

    /// <summary>True for human and rule-built captions, false for the synthetic defects.</summary>
    public bool IsDefective => Defect is not null;
}

/// <summary>
/// The candidate captions of a set of images, made the way the synthesis service makes them: the distinct
/// human captions, one rule-built label caption and defective variants of the human captions.
/// </summary>
public sealed record CandidatePool(IReadOnlyList<ManifestEntry> Images, IReadOnlyList<PoolCandidate> Candidates)
{
    /// <summary>
    /// Synthesizes the candidates of every image with one <see cref="Random"/> seeded by <paramref name="seed"/>,
    /// so the same entries, settings and seed give the same pool.
    /// </summary>
    public static CandidatePool Synthesize(IReadOnlyList<ManifestEntry> images, CaptionSynthesisSettings settings, int seed)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(settings);

        var synthesizer = new CaptionSynthesizer(settings);
        var random = new Random(seed);
        var candidates = new List<PoolCandidate>();
        for (int i = 0; i < images.Count; i++)
        {
            foreach (var caption in synthesizer.Synthesize(images[i], random))
            {
                candidates.Add(new PoolCandidate(i, caption.Text, caption.Generator, caption.Defect));
            }
        }

        return new CandidatePool(images, candidates);
    }

    /// <summary>
    /// Returns a copy of the pool with <see cref="PoolCandidate.Score"/> and <see cref="PoolCandidate.ClipScore"/>
    /// set by <paramref name="scorer"/>, in batches of <paramref name="batchSize"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A candidate could not be scored (for example its image is missing).</exception>
    public CandidatePool Score(RewardScorer scorer, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);

        var scored = new List<PoolCandidate>(Candidates.Count);
        for (int start = 0; start < Candidates.Count; start += batchSize)
        {
            var batch = Candidates.Skip(start).Take(batchSize).ToList();
            var requests = batch.Select(c => new ScoringRequest(Images[c.ImageIndex].ImagePath, c.Text)).ToList();
            var results = scorer.ScoreBatch(requests);
            for (int k = 0; k < batch.Count; k++)
            {
                if (!results[k].Succeeded)
                {
                    throw new InvalidDataException(
                        $"Candidate '{batch[k].Text}' of image {Images[batch[k].ImageIndex].ImagePath} could not be scored: {results[k].ErrorReason}: {results[k].ErrorMessage}");
                }

                scored.Add(batch[k] with { Score = results[k].Score!.Value, ClipScore = results[k].ClipScore!.Value });
            }
        }

        return this with { Candidates = scored };
    }
}
