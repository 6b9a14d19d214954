using RsStreamCurate.Scoring;

namespace RsStreamCurate.Training.Retraining;

/// <summary>Held-out accuracy of a scorer on given preference pairs, overall and by pair kind.</summary>
public sealed record PairEvaluation(int Pairs, double Accuracy, IReadOnlyDictionary<string, PairAccuracy> ByKind);

/// <summary>Evaluates a reward scorer on arbitrary preference pairs (synthetic, imported or human labels).</summary>
public static class PairEvaluator
{
    /// <summary>
    /// Returns the fraction of pairs whose chosen text scores strictly above the rejected one, for the learned score
    /// and for the CLIP-score. Pairs whose image cannot be scored are left out of the counts.
    /// </summary>
    public static PairEvaluation Evaluate(RewardScorer scorer, IReadOnlyList<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(pairs);

        var requests = new List<ScoringRequest>(pairs.Count * 2);
        foreach (var pair in pairs)
        {
            requests.Add(new ScoringRequest(pair.ImagePath, pair.Chosen));
            requests.Add(new ScoringRequest(pair.ImagePath, pair.Rejected));
        }

        var results = new List<ScoringResult>(requests.Count);
        for (int start = 0; start < requests.Count; start += 256)
        {
            results.AddRange(scorer.ScoreBatch(requests.GetRange(start, Math.Min(256, requests.Count - start))));
        }

        var byKind = new Dictionary<string, (int Pairs, int Learned, int Clip)>(StringComparer.Ordinal);
        int total = 0;
        int learned = 0;
        for (int i = 0; i < pairs.Count; i++)
        {
            var chosen = results[2 * i];
            var rejected = results[2 * i + 1];
            if (!chosen.Succeeded || !rejected.Succeeded)
            {
                continue;
            }

            bool learnedRight = chosen.Score > rejected.Score;
            bool clipRight = chosen.ClipScore > rejected.ClipScore;
            var counts = byKind.GetValueOrDefault(pairs[i].Kind);
            byKind[pairs[i].Kind] = (counts.Pairs + 1, counts.Learned + (learnedRight ? 1 : 0), counts.Clip + (clipRight ? 1 : 0));
            total++;
            learned += learnedRight ? 1 : 0;
        }

        return new PairEvaluation(
            total,
            total == 0 ? 0 : (double)learned / total,
            byKind.ToDictionary(p => p.Key, p => new PairAccuracy(p.Value.Pairs, (double)p.Value.Learned / p.Value.Pairs, (double)p.Value.Clip / p.Value.Pairs)));
    }
}
