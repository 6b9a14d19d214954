using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Feedback.Catalog;

namespace RsStreamCurate.Feedback.Api;

/// <summary>The HTTP endpoints of the feedback service.</summary>
public static class FeedbackEndpoints
{
    public const string RateLimitPolicy = "feedback-per-key";

    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    /// <summary>
    /// Adds the authentication, authorization and rate-limiter middleware, then maps the labelling page
    /// (<c>GET /</c>), <c>POST /v1/preferences</c>, <c>GET /v1/pairs/next</c>, <c>POST /v1/pairs/skip</c> and
    /// <c>GET /v1/images/{**path}</c>. Every <c>/v1</c> endpoint needs an API key and is rate-limited per key.
    /// </summary>
    public static WebApplication MapFeedbackEndpoints(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapGet("/", () => LabellingPage.Result()).ExcludeFromDescription();

        var api = app.MapGroup("/v1").RequireAuthorization().RequireRateLimiting(RateLimitPolicy);
        api.MapPost("/preferences", PostPreferencesAsync);
        api.MapGet("/pairs/next", GetNextPair);
        api.MapPost("/pairs/skip", PostSkipAsync);
        api.MapGet("/images/{**path}", GetImage);
        return app;
    }

    private static async Task<IResult> PostPreferencesAsync(
        HttpContext context,
        PreferenceValidator validator,
        FeedbackService service,
        IOptions<FeedbackOptions> options,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        string labeller = LabellerOf(context.User);
        var (body, bodyError) = await ReadBodyAsync(context.Request, options.Value.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
        if (bodyError is not null)
        {
            return bodyError;
        }

        List<PreferenceRequest?> requests;
        bool isArray;
        try
        {
            using var document = JsonDocument.Parse(body);
            isArray = document.RootElement.ValueKind == JsonValueKind.Array;
            if (document.RootElement.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
            {
                return Invalid("body", "The body must be a JSON object or an array of objects.", "invalid_json");
            }

            requests = isArray
                ? document.RootElement.EnumerateArray().Select(ParseItem).ToList()
                : [ParseItem(document.RootElement)];
        }
        catch (JsonException ex)
        {
            return Invalid("body", $"The body is not valid JSON: {ex.Message}", "invalid_json");
        }

        var (records, errors) = validator.Validate(labeller, requests, isArray);
        if (errors.Count > 0)
        {
            FeedbackMetrics.RejectedRequests.WithLabels("invalid_field").Inc();
            Log.RequestRejected(loggerFactory.CreateLogger(typeof(FeedbackEndpoints)), labeller, errors.Count);
            return Results.ValidationProblem(errors, title: "Invalid preference");
        }

        IReadOnlyList<PreferenceOutcome> outcomes;
        try
        {
            outcomes = await service.RecordAsync(labeller, records, cancellationToken).ConfigureAwait(false);
        }
        catch (EventPublishException ex)
        {
            return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Labels stored, events not sent", detail: ex.Message);
        }

        var response = new
        {
            Stored = outcomes.Count(o => o.Stored),
            AlreadyStored = outcomes.Count(o => !o.Stored),
            Results = outcomes.Select(o => new { o.PreferenceId, Status = o.Stored ? "stored" : "already_stored" }),
        };
        return Results.Json(response, FeedbackJson.Options);
    }

    private static IResult GetNextPair(HttpContext context, string? labeller, CandidateCatalog catalog, FeedbackService service)
    {
        string caller = LabellerOf(context.User);
        if (labeller is not null && labeller != caller)
        {
            return Results.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Labeller mismatch",
                detail: $"The query parameter labeller is '{labeller}', but the API key belongs to '{caller}'; leave the parameter out or pass your own id.");
        }

        var index = service.Index;
        var pair = catalog.FindClosestPair((imageId, textA, textB) => index.IsExcluded(caller, imageId, textA, textB));
        if (pair is null)
        {
            return Results.NoContent();
        }

        var response = new
        {
            pair.ImageId,
            ImageUrl = "/v1/images/" + string.Join('/', pair.ImageUri.Split('/').Select(Uri.EscapeDataString)),
            pair.First.ModelVersion,
            pair.ScoreGap,
            Candidates = new[] { pair.First, pair.Second }.Select(c => new { c.CandidateId, c.Text, c.Score }),
            LabellerLabelCount = index.LabelCount(caller),
        };
        return Results.Json(response, FeedbackJson.Options);
    }

    private static async Task<IResult> PostSkipAsync(
        HttpContext context, CandidateCatalog catalog, FeedbackService service, IOptions<FeedbackOptions> options, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await ReadBodyAsync(context.Request, options.Value.MaxRequestBytes, cancellationToken).ConfigureAwait(false);
        if (bodyError is not null)
        {
            return bodyError;
        }

        SkipRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<SkipRequest>(body, FeedbackJson.Options);
        }
        catch (JsonException ex)
        {
            return Invalid("body", $"The body is not valid JSON: {ex.Message}", "invalid_json");
        }

        if (string.IsNullOrWhiteSpace(request?.ImageId))
        {
            return Invalid("image_id", "image_id is required.", "invalid_field");
        }

        if (request.CandidateIds is not { Count: 2 })
        {
            return Invalid("candidate_ids", "candidate_ids must list exactly the two candidates of the skipped pair.", "invalid_field");
        }

        var first = catalog.Find(request.ImageId, request.CandidateIds[0]);
        var second = catalog.Find(request.ImageId, request.CandidateIds[1]);
        if (first is null || second is null)
        {
            return Invalid("candidate_ids", $"A candidate of image '{request.ImageId}' is not in the catalog; use the ids from /v1/pairs/next.", "unknown_candidate");
        }

        service.Index.Skip(LabellerOf(context.User), request.ImageId, first.Text, second.Text);
        return Results.NoContent();
    }

    private static IResult GetImage(string path, IOptions<FeedbackOptions> options)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Value.ImageRoot)) + Path.DirectorySeparatorChar;

        // Routing leaves an encoded slash (%2F) in a catch-all value, so decode it before the checks see the real path.
        path = Uri.UnescapeDataString(path);
        if (path.Contains('\0') || Path.IsPathRooted(path))
        {
            return Invalid("path", "The image path must be relative to the image root.", "path_outside_image_root");
        }

        string full = Path.GetFullPath(Path.Combine(root, path));
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            return Invalid("path", $"The image path '{path}' points outside the image root.", "path_outside_image_root");
        }

        var file = new FileInfo(full);
        if (!file.Exists)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Image not found", detail: $"No image '{path}' exists under the image root.");
        }

        // A symbolic link inside the root must not lead outside it.
        // NOTE: a linked directory on the way to the file is not checked.
        if (file.ResolveLinkTarget(returnFinalTarget: true) is { } target && !target.FullName.StartsWith(root, StringComparison.Ordinal))
        {
            return Invalid("path", $"The image path '{path}' links outside the image root.", "path_outside_image_root");
        }

        string contentType = ContentTypes.TryGetContentType(full, out var type) ? type : "application/octet-stream";
        return Results.File(full, contentType);
    }

    private static PreferenceRequest? ParseItem(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object ? element.Deserialize<PreferenceRequest>(FeedbackJson.Options) : null;

    private static string LabellerOf(ClaimsPrincipal user) =>
        user.Identity?.Name ?? throw new InvalidOperationException("The endpoint ran without an authenticated labeller.");

    private static IResult Invalid(string field, string message, string reason)
    {
        FeedbackMetrics.RejectedRequests.WithLabels(reason).Inc();
        return Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "Invalid request");
    }

    /// <summary>Reads the body up to the limit; returns a 413 problem when it is larger.</summary>
    private static async Task<(byte[] Body, IResult? Error)> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return ([], TooLarge(request.ContentLength.Value, maxBytes));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                return ([], TooLarge(buffer.Length, maxBytes));
            }
        }

        return (buffer.ToArray(), null);
    }

    private static IResult TooLarge(long length, int maxBytes)
    {
        FeedbackMetrics.RejectedRequests.WithLabels("body_too_large").Inc();
        return Results.Problem(
            statusCode: StatusCodes.Status413PayloadTooLarge,
            title: "Request body too large",
            detail: $"The body has at least {length} bytes, but at most {maxBytes} are accepted (Feedback:MaxRequestBytes); send fewer preferences per request.");
    }
}
