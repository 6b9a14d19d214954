using Microsoft.Extensions.Options;
using RsStreamCurate.Feedback.Catalog;
using RsStreamCurate.Feedback.Storage;

namespace RsStreamCurate.Feedback.Api;

/// <summary>
/// Checks preference requests and turns valid ones into <see cref="PreferenceRecord"/>s. Each error is keyed by the
/// field it concerns, prefixed with <c>[index].</c> when the body was an array.
/// </summary>
public sealed class PreferenceValidator(CandidateCatalog catalog, IOptions<FeedbackOptions> options, TimeProvider timeProvider)
{
    public const int MaxImageIdLength = 512;

    private readonly FeedbackOptions _options = options.Value;

    /// <summary>Validates a batch. Returns the records when every item is valid, otherwise the errors and no records.</summary>
    public (IReadOnlyList<PreferenceRecord> Records, Dictionary<string, string[]> Errors) Validate(
        string labellerId, IReadOnlyList<PreferenceRequest?> requests, bool isArray)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (isArray && requests.Count == 0)
        {
            errors["preferences"] = ["The array is empty; send at least one preference."];
            return ([], errors);
        }

        if (requests.Count > _options.MaxBatchSize)
        {
            errors["preferences"] = [$"The batch contains {requests.Count} preferences, but at most {_options.MaxBatchSize} are accepted per request; split it."];
            return ([], errors);
        }

        var now = timeProvider.GetUtcNow();
        var records = new List<PreferenceRecord>(requests.Count);
        for (int i = 0; i < requests.Count; i++)
        {
            string prefix = isArray ? $"[{i}]." : string.Empty;
            var record = ValidateOne(labellerId, requests[i], prefix, now, errors);
            if (record is not null)
            {
                records.Add(record);
            }
        }

        return errors.Count == 0 ? (records, errors) : ([], errors);
    }

    private PreferenceRecord? ValidateOne(string labellerId, PreferenceRequest? request, string prefix, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        if (request is null)
        {
            errors[prefix.Length == 0 ? "body" : prefix.TrimEnd('.')] = ["A preference must be a JSON object."];
            return null;
        }

        int errorCount = errors.Count;
        string? imageId = request.ImageId?.Trim();
        if (string.IsNullOrEmpty(imageId))
        {
            errors[prefix + "image_id"] = ["image_id is required."];
        }
        else if (imageId.Length > MaxImageIdLength)
        {
            errors[prefix + "image_id"] = [$"image_id has {imageId.Length} characters; at most {MaxImageIdLength} are accepted."];
        }

        var chosen = ResolveSide(imageId, request.ChosenCandidateId, request.ChosenText, prefix, "chosen", errors);
        var rejected = ResolveSide(imageId, request.RejectedCandidateId, request.RejectedText, prefix, "rejected", errors);
        if (chosen is not null && rejected is not null && chosen.Value.Text == rejected.Value.Text)
        {
            string field = request.RejectedCandidateId is not null ? "rejected_candidate_id" : "rejected_text";
            errors[prefix + field] = ["The chosen and rejected captions are the same; a preference needs two different captions."];
        }

        string? dimension = request.Dimension?.Trim().ToLowerInvariant();
        if (dimension is { Length: 0 })
        {
            dimension = null;
        }

        if (dimension is not null && !QualityDimensions.All.Contains(dimension))
        {
            errors[prefix + "dimension"] = [$"'{request.Dimension}' is not a quality dimension; use one of {string.Join(", ", QualityDimensions.All)}, or leave it out."];
        }

        string? comment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment.Trim();
        if (comment is not null && comment.Length > _options.MaxCommentLength)
        {
            errors[prefix + "comment"] = [$"comment has {comment.Length} characters; at most {_options.MaxCommentLength} are accepted."];
        }

        if (errors.Count > errorCount || chosen is null || rejected is null || imageId is null)
        {
            return null;
        }

        var (chosenText, chosenCandidate) = chosen.Value;
        var (rejectedText, rejectedCandidate) = rejected.Value;
        return new PreferenceRecord
        {
            PreferenceId = PreferenceIds.Compute(labellerId, imageId, chosenText, rejectedText),
            LabellerId = labellerId,
            ImageId = imageId,
            ChosenText = chosenText,
            RejectedText = rejectedText,
            ChosenCandidateId = chosenCandidate?.CandidateId,
            RejectedCandidateId = rejectedCandidate?.CandidateId,
            Dimension = dimension,
            Comment = comment,
            ModelVersion = chosenCandidate is not null && chosenCandidate.ModelVersion == rejectedCandidate?.ModelVersion ? chosenCandidate.ModelVersion : null,
            RecordedAt = now,
        };
    }

    /// <summary>Resolves one side to its caption text, and to its catalog entry when it was given by candidate id.</summary>
    private (string Text, CatalogCandidate? Candidate)? ResolveSide(
        string? imageId, string? candidateId, string? text, string prefix, string side, Dictionary<string, string[]> errors)
    {
        string idField = prefix + side + "_candidate_id";
        string textField = prefix + side + "_text";
        if (candidateId is not null && text is not null)
        {
            errors[idField] = [$"Give either {side}_candidate_id or {side}_text, not both."];
            return null;
        }

        if (candidateId is not null)
        {
            if (string.IsNullOrWhiteSpace(candidateId))
            {
                errors[idField] = [$"{side}_candidate_id is empty."];
                return null;
            }

            if (string.IsNullOrEmpty(imageId))
            {
                return null;
            }

            var candidate = catalog.Find(imageId, candidateId);
            if (candidate is null)
            {
                errors[idField] = [$"Candidate '{candidateId}' of image '{imageId}' is not in the catalog; use an id from /v1/pairs/next or send the caption as {side}_text."];
                return null;
            }

            return (candidate.Text, candidate);
        }

        if (text is null)
        {
            errors[idField] = [$"{side}_candidate_id or {side}_text is required."];
            return null;
        }

        string trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            errors[textField] = [$"{side}_text is empty."];
            return null;
        }

        if (trimmed.Length > _options.MaxTextLength)
        {
            errors[textField] = [$"{side}_text has {trimmed.Length} characters; at most {_options.MaxTextLength} are accepted."];
            return null;
        }

        return (trimmed, null);
    }
}
