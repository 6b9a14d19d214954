using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using RsStreamCurate.Curation.Sinks;

namespace RsStreamCurate.Curation.Tests;

public sealed class CurationOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        var result = new CurationOptionsValidator().Validate(null, new CurationOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("Fraction", "0", "Curation:Fraction")]
    [InlineData("Fraction", "1.5", "Curation:Fraction")]
    [InlineData("WindowSize", "0", "Curation:WindowSize")]
    [InlineData("MaxWindowAge", "-00:00:01", "Curation:MaxWindowAge")]
    [InlineData("OutputDirectory", " ", "Curation:OutputDirectory")]
    [InlineData("PostgresTable", "curated; DROP TABLE x", "Curation:PostgresTable")]
    [InlineData("PostgresWindowsTable", "Windows", "Curation:PostgresWindowsTable")]
    public void Host_start_fails_naming_invalid_setting(string key, string value, string expectedSetting)
    {
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Curation:PostgresConnectionString"] = "Host=127.0.0.1;Port=1;Username=nobody",
            [$"Curation:{key}"] = value,
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Start());

        Assert.Contains(error.Failures, f => f.StartsWith(expectedSetting, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("curated_candidates", true)]
    [InlineData("rscurate.curated_candidates", true)]
    [InlineData("_t1", true)]
    [InlineData("1table", false)]
    [InlineData("a.b.c", false)]
    [InlineData("Curated", false)]
    [InlineData("curated\"; --", false)]
    [InlineData("", false)]
    public void Table_name_pattern(string name, bool valid)
    {
        Assert.Equal(valid, SqlIdentifier.IsValidTableName(name));
    }

    [Fact]
    public void AddCuration_builds_dataset_sink_without_postgres()
    {
        using var directory = TestData.TempDirectory();
        using var host = BuildHost(new Dictionary<string, string?> { ["Curation:OutputDirectory"] = directory.Path });

        var sink = host.Services.GetRequiredService<ICuratedWindowSink>();

        Assert.IsType<DatasetDirectorySink>(sink);
        Assert.NotNull(host.Services.GetRequiredService<CurationEngine>());
    }

    [Fact]
    public void AddCuration_builds_composite_sink_with_postgres()
    {
        using var directory = TestData.TempDirectory();
        using var host = BuildHost(new Dictionary<string, string?>
        {
            ["Curation:OutputDirectory"] = directory.Path,
            ["Curation:PostgresConnectionString"] = "Host=127.0.0.1;Port=1;Username=nobody",
        });

        var sink = Assert.IsType<CompositeCuratedWindowSink>(host.Services.GetRequiredService<ICuratedWindowSink>());

        Assert.Equal("dataset+postgres", sink.Name);
    }

    private static IHost BuildHost(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging();
        builder.Services.AddCuration();
        return builder.Build();
    }
}
