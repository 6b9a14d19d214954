using System.Text.Json;
using Microsoft.Playwright;
using RsStreamCurate.Feedback.Storage;

namespace RsStreamCurate.Feedback.Tests;

/// <summary>Drives the labelling page in Debian's Chromium (/usr/bin/chromium) through Playwright, headless.</summary>
public sealed class LabellingPageTests
{
    private const string ChromiumPath = "/usr/bin/chromium";

    // A valid 2x2 RGB PNG, so the page has a real image to decode.
    private static readonly byte[] TinyPng = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==");

    [Fact]
    public async Task Key_then_1_stores_label()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing; install it with apt-get install -y chromium (tools/run-tests.sh does so).");
        await using var host = await FeedbackTestHost.StartAsync();
        await File.WriteAllBytesAsync(Path.Combine(host.Root, "images", "scenes", "lake_1.png"), TinyPng);
        string good = host.AddCandidate("lake_1", "a calm lake surrounded by forest", 0.40);
        string bad = host.AddCandidate("lake_1", "a lake", 0.45);
        string userData = Directory.CreateTempSubdirectory("rscurate-chromium-").FullName;

        try
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchPersistentContextAsync(userData, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
                Timeout = 60_000,
            });
            var page = browser.Pages.Count > 0 ? browser.Pages[0] : await browser.NewPageAsync();
            page.SetDefaultTimeout(20_000);

            await page.GotoAsync(host.BaseAddress + "/");
            await page.Keyboard.TypeAsync(FeedbackTestHost.AliceKey);
            await page.Keyboard.PressAsync("Enter");

            var first = page.Locator("#caption-1 span");
            await first.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
            await page.WaitForFunctionAsync("() => document.getElementById('image').complete && document.getElementById('image').naturalWidth === 2");
            string firstText = await first.InnerTextAsync();
            string secondText = await page.Locator("#caption-2 span").InnerTextAsync();
            Assert.Equal(
                new[] { "a calm lake surrounded by forest", "a lake" }.Order(StringComparer.Ordinal),
                new[] { firstText, secondText }.Order(StringComparer.Ordinal));
            Assert.Contains("0 labelled in this session", await page.Locator("#progress").InnerTextAsync());
            Assert.Equal(FeedbackTestHost.AliceKey, await page.EvaluateAsync<string>("() => sessionStorage.getItem('rscurate.apiKey')"));

            await page.Keyboard.PressAsync("1");
            await page.Locator("#status").Filter(new LocatorFilterOptions { HasText = "Nothing left to label" }).WaitForAsync();
            Assert.Contains("1 pairs", await page.Locator("#status").InnerTextAsync());

            var stored = Assert.Single(ReadStored(host));
            Assert.Equal("alice", stored.LabellerId);
            Assert.Equal(firstText, stored.ChosenText);
            Assert.Equal(secondText, stored.RejectedText);
            Assert.Equal(firstText == "a lake" ? bad : good, stored.ChosenCandidateId);
        }
        finally
        {
            Directory.Delete(userData, recursive: true);
            FeedbackTestHost.DeleteRoot(host.Root);
        }
    }

    private static List<PreferenceRecord> ReadStored(FeedbackTestHost host) =>
        File.ReadAllLines(Path.Combine(host.DataDirectory, JsonlPreferenceStore.FileName))
            .Select(line => JsonSerializer.Deserialize(line, StorageJsonContext.Default.PreferenceRecord)!)
            .ToList();
}
