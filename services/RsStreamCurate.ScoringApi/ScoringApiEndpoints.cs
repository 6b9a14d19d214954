using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;
using RsStreamCurate.Scoring;

namespace RsStreamCurate.ScoringApi;

/// <summary>
/// <c>POST /v1/score</c> for RL trainers and best-of-N callers: scores a batch of image-text pairs with the current
/// reward model and returns the scores with the model version. A request that is malformed gets 400, one that is too
/// large 413, and one with an image that cannot be scored 422; every error names the item and field.
/// </summary>
public static partial class ScoringApiEndpoints
{
    public static IServiceCollection AddScoringApi(this IServiceCollection services)
    {
        services.AddOptions<ScoringApiOptions>()
            .BindConfiguration(ScoringApiOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddProblemDetails();
        return services;
    }

    public static IEndpointRouteBuilder MapScoringApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/score", ScoreAsync)
            .WithName("Score")
            .Accepts<ScoreRequest>("application/json")
            .Produces<ScoreResponse>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        return endpoints;
    }

    private static async Task<IResult> ScoreAsync(
        HttpContext context,
        RewardScorerHolder scorers,
        IOptions<ScoringApiOptions> options,
        ILoggerFactory loggerFactory)
    {
        var limits = options.Value;
        var logger = loggerFactory.CreateLogger(typeof(ScoringApiEndpoints));
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limits.MaxRequestBytes;
        }

        ScoreRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync<ScoreRequest>(context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Results.Problem(statusCode: 413, title: "Request body too large",
                detail: $"The body is larger than {limits.MaxRequestBytes} bytes; split the batch or send image paths instead of base64.");
        }
        catch (System.Text.Json.JsonException ex)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"The body is not valid JSON for a score request: {ex.Message}"] });
        }
        catch (InvalidOperationException ex)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["body"] = [$"Send the batch as application/json ({ex.Message})."] });
        }

        if (request?.Items is not { Count: > 0 } items)
        {
            return Results.ValidationProblem(new Dictionary<string, string[]> { ["items"] = ["Send a non-empty \"items\" array of {image or image_base64, text} objects."] });
        }

        if (items.Count > limits.MaxItems)
        {
            return Results.Problem(statusCode: 413, title: "Too many items",
                detail: $"The batch has {items.Count} items, above the maximum of {limits.MaxItems}; split it into smaller batches.");
        }

        var errors = new Dictionary<string, string[]>();
        var scoringRequests = new ScoringRequest[items.Count];
        for (int i = 0; i < items.Count; i++)
        {
            if (Validate(items[i], i, limits, errors) is { } scoringRequest)
            {
                scoringRequests[i] = scoringRequest;
            }
        }

        if (errors.Count > 0)
        {
            LogRejected(logger, items.Count, errors.Count);
            return Results.ValidationProblem(errors);
        }

        IReadOnlyList<ScoringResult> results;
        string modelVersion;
        using (var lease = scorers.Acquire())
        {
            results = lease.Scorer.ScoreBatch(scoringRequests);
            modelVersion = lease.Scorer.ModelVersion;
        }

        for (int i = 0; i < results.Count; i++)
        {
            if (!results[i].Succeeded)
            {
                bool isInline = items[i].Image is null;
                string field = isInline ? "image_base64" : "image";
                string name = isInline ? "the inline image" : $"image '{items[i].Image}'";
                errors[$"items[{i}].{field}"] = [$"{results[i].ErrorReason}: {DescribeForClient(results[i].ErrorReason!, name)}"];
                LogUnscorableItem(logger, i, results[i].ErrorReason!, results[i].ErrorMessage ?? "");
            }
        }

        if (errors.Count > 0)
        {
            LogUnscorable(logger, items.Count, errors.Count, modelVersion);
            return Results.ValidationProblem(errors, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Some images cannot be scored");
        }

        return Results.Ok(new ScoreResponse(modelVersion, results.Select(r => new ScoreResult(r.Score!.Value, r.ClipScore ?? double.NaN)).ToList()));
    }

    private static ScoringRequest? Validate(ScoreItem? item, int index, ScoringApiOptions limits, Dictionary<string, string[]> errors)
    {
        string prefix = $"items[{index}]";
        if (item is null)
        {
            errors[prefix] = ["The item is null; send an object with image or image_base64, and text."];
            return null;
        }

        int before = errors.Count;
        if (string.IsNullOrWhiteSpace(item.Text))
        {
            errors[$"{prefix}.text"] = ["The text is missing or empty."];
        }
        else if (item.Text.Length > limits.MaxTextLength)
        {
            errors[$"{prefix}.text"] = [$"The text has {item.Text.Length} characters, above the maximum of {limits.MaxTextLength}."];
        }

        if (item.Question is { Length: var questionLength } && questionLength > limits.MaxTextLength)
        {
            errors[$"{prefix}.question"] = [$"The question has {questionLength} characters, above the maximum of {limits.MaxTextLength}."];
        }

        bool hasPath = !string.IsNullOrWhiteSpace(item.Image);
        bool hasBytes = !string.IsNullOrWhiteSpace(item.ImageBase64);
        byte[]? bytes = null;
        if (hasPath == hasBytes)
        {
            errors[$"{prefix}.image"] = ["Give exactly one of image (a path under the image root) and image_base64."];
        }
        else if (hasBytes && !TryDecodeBase64(item.ImageBase64!, out bytes))
        {
            errors[$"{prefix}.image_base64"] = ["The value is not valid base64."];
        }

        if (errors.Count > before)
        {
            return null;
        }

        return bytes is not null ? ScoringRequest.ForImageBytes(bytes, item.Text!) : new ScoringRequest(item.Image!, item.Text!);
    }

    // Describes a failed item in terms of what the caller sent. The loader's own message contains the server's absolute
    // paths, so it goes only to the server's log.
    private static string DescribeForClient(string reason, string name) => reason switch
    {
        DeadLetterReasons.ImageNotFound => $"{name} was not found under the image root; check the path, which is relative to that root.",
        DeadLetterReasons.ImageEmpty => $"{name} is empty (0 bytes); send the encoded image file.",
        DeadLetterReasons.ImageTooLarge => $"{name} exceeds the size or pixel limit; downscale or tile it.",
        DeadLetterReasons.ImageTruncated => $"{name} is corrupt or truncated; re-export it.",
        DeadLetterReasons.ImageUnsupported => $"{name} is not in a supported format; convert it to JPEG, PNG or strip RGB TIFF.",
        DeadLetterReasons.PathOutsideImageRoot => $"{name} is outside the image root; give a relative path without '..' segments or links out of the root.",
        _ => $"{name} cannot be scored.",
    };

    private static bool TryDecodeBase64(string value, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(value);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    [LoggerMessage(2200, LogLevel.Information, "Rejected a score request of {ItemCount} items: {InvalidFieldCount} invalid fields")]
    private static partial void LogRejected(ILogger logger, int itemCount, int invalidFieldCount);

    [LoggerMessage(2201, LogLevel.Information, "Score request of {ItemCount} items has {UnscorableCount} images that model {ModelVersion} cannot score")]
    private static partial void LogUnscorable(ILogger logger, int itemCount, int unscorableCount, string modelVersion);

    [LoggerMessage(2202, LogLevel.Information, "Score request item {ItemIndex} cannot be scored: {Reason}: {Detail}")]
    private static partial void LogUnscorableItem(ILogger logger, int itemIndex, string reason, string detail);
}
