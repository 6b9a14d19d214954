using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RsStreamCurate.Feedback.Api;

/// <summary>SHA-256 digests of API keys, so that keys are compared in constant time and never kept in plain text.</summary>
public static class ApiKeyHash
{
    public const string Prefix = "sha256:";

    public const int MinKeyLength = 16;

    public static byte[] Compute(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Returns the digest of a configured value: the parsed hex after <see cref="Prefix"/>, or the hash of a plain key.</summary>
    public static byte[] FromConfigured(string value) =>
        value.StartsWith(Prefix, StringComparison.Ordinal)
            ? (TryParse(value, out var digest) ? digest : throw new FormatException($"An API key hash must be '{Prefix}' followed by 64 hex digits."))
            : Compute(value);

    public static bool TryParse(string value, out byte[] digest)
    {
        digest = [];
        string hex = value[Prefix.Length..];
        if (hex.Length != 64)
        {
            return false;
        }

        try
        {
            digest = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>The configured keys as digests with their labeller ids.</summary>
public sealed class ApiKeyRegistry
{
    private readonly (byte[] Digest, string LabellerId)[] _entries;

    public ApiKeyRegistry(IOptions<FeedbackOptions> options)
    {
        _entries = options.Value.ApiKeys
            .Select(pair => (ApiKeyHash.FromConfigured(pair.Value), pair.Key))
            .ToArray();
    }

    /// <summary>
    /// Returns the labeller id of a presented key, or null. Every configured digest is compared, with
    /// <see cref="CryptographicOperations.FixedTimeEquals"/>, so the time taken does not reveal which entry matched.
    /// </summary>
    public string? FindLabeller(string presentedKey)
    {
        byte[] presented = ApiKeyHash.Compute(presentedKey);
        string? match = null;
        foreach (var (digest, labellerId) in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(digest, presented))
            {
                match = labellerId;
            }
        }

        return match;
    }
}

/// <summary>Authenticates a request by the API key in the configured header; the labeller id becomes the name claim.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyRegistry registry,
    IOptions<FeedbackOptions> feedbackOptions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string header = feedbackOptions.Value.ApiKeyHeader;
        if (!Request.Headers.TryGetValue(header, out var values) || string.IsNullOrEmpty(values.ToString()))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // The key is never logged: the failure message names only the header.
        string? labeller = registry.FindLabeller(values.ToString());
        if (labeller is null)
        {
            FeedbackMetrics.AuthenticationFailures.WithLabels("invalid_key").Inc();
            return Task.FromResult(AuthenticateResult.Fail($"The key in header {header} matches no configured API key."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, labeller)], SchemeName);
        var ticket = new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName);
        return Task.FromResult(AuthenticateResult.Success(ticket));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        string header = feedbackOptions.Value.ApiKeyHeader;
        bool presented = Request.Headers.ContainsKey(header);
        if (!presented)
        {
            FeedbackMetrics.AuthenticationFailures.WithLabels("missing_key").Inc();
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{header}\"";
        await Results.Problem(
            statusCode: StatusCodes.Status401Unauthorized,
            title: presented ? "Invalid API key" : "Missing API key",
            detail: presented
                ? $"The key in header {header} matches no configured API key. Ask the operator for a valid key."
                : $"Send your API key in the {header} header.").ExecuteAsync(Context);
    }
}
