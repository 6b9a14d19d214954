using System.CommandLine;
using RsStreamCurate.Scoring.Registry;
using Spectre.Console;

namespace RsStreamCurate.Cli;

/// <summary>The <c>models</c> command group: the reward-model registry.</summary>
public static class RegistryCommands
{
    /// <summary>Default registry folder, relative to the working folder.</summary>
    public const string DefaultRegistryDirectory = "models";

    public static Command Build()
    {
        var registry = new Option<DirectoryInfo?>("--registry") { Description = $"Registry folder (default: ./{DefaultRegistryDirectory})." };
        var postgres = new Option<string?>("--postgres") { Description = "Npgsql connection string of a PostgreSQL registry; replaces --registry." };

        var list = new Command("list", "List reward-model versions with status, lineage, held-out accuracy, label count and data digest.")
        {
            registry, postgres,
        };
        list.SetAction((parse, cancellationToken) => CommandLine.RunGuardedAsync(async () =>
        {
            string? connectionString = parse.GetValue(postgres);
            bool usePostgres = !string.IsNullOrEmpty(connectionString);
            string folder = Path.GetFullPath(parse.GetValue(registry)?.FullName ?? DefaultRegistryDirectory);
            IModelRegistry store = usePostgres ? new PostgresModelRegistry(connectionString!) : new FileModelRegistry(folder);
            var records = await store.ListAsync(cancellationToken).ConfigureAwait(false);
            var current = await store.GetCurrentAsync(cancellationToken).ConfigureAwait(false);
            string source = usePostgres ? "the PostgreSQL registry" : $"registry folder {folder}";
            AnsiConsole.MarkupLine($"Reading {Markup.Escape(source)}.");
            Render(records, current?.Version);
            return 0;
        }));

        return new Command("models", "Inspect the reward-model registry.") { list };
    }

    private static void Render(IReadOnlyList<ModelRecord> records, string? currentVersion)
    {
        if (records.Count == 0)
        {
            AnsiConsole.MarkupLine(
                $"The registry has no model versions yet. Retrained versions appear here. The shipped checkpoint {Markup.Escape(BundledAssets.DefaultCheckpoint)} becomes an entry when a trainer first starts from it.");
            return;
        }

        var table = new Table().Title("Reward-model versions")
            .AddColumn("version").AddColumn("parent").AddColumn("status")
            .AddColumn(new TableColumn("held-out acc.").RightAligned()).AddColumn(new TableColumn("parent acc.").RightAligned())
            .AddColumn(new TableColumn("labels").RightAligned()).AddColumn("data digest").AddColumn("created (UTC)");
        foreach (var record in records)
        {
            string version = record.Version == currentVersion ? $"[bold green]{Markup.Escape(record.Version)} (current)[/]" : Markup.Escape(record.Version);
            table.AddRow(
                version,
                Markup.Escape(record.ParentVersion ?? "-"),
                Markup.Escape(record.Status),
                record.HeldOutAccuracy?.ToString("P1") ?? "-",
                record.ParentHeldOutAccuracy?.ToString("P1") ?? "-",
                record.LabelCount.ToString("N0"),
                Markup.Escape(record.DataDigest is { Length: > 12 } digest ? digest[..12] : record.DataDigest ?? "-"),
                record.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm"));
        }

        AnsiConsole.Write(table);
    }
}
