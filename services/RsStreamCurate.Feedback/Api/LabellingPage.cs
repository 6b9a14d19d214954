using Microsoft.AspNetCore.Http;

namespace RsStreamCurate.Feedback.Api;

/// <summary>The labelling page, an embedded HTML file with inline script and style and no external resources.</summary>
internal static class LabellingPage
{
    private static readonly Lazy<byte[]> Content = new(() =>
    {
        using var stream = typeof(LabellingPage).Assembly.GetManifestResourceStream("RsStreamCurate.Feedback.Page.index.html")
            ?? throw new InvalidOperationException("The embedded labelling page RsStreamCurate.Feedback.Page.index.html is missing from the assembly.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    });

    public static IResult Result() => Results.Bytes(Content.Value, "text/html; charset=utf-8");
}
