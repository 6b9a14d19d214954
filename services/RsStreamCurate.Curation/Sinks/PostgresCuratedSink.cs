using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace RsStreamCurate.Curation.Sinks;

/// <summary>
/// Writes kept candidates to a PostgreSQL table keyed by candidate id, and one row per window to a windows
/// table keyed by window id. Each window is one transaction: binary COPY into a temporary staging table, then
/// <c>INSERT ... SELECT ... ON CONFLICT DO NOTHING</c> into both tables, so a replay inserts nothing twice and
/// a failure leaves nothing behind.
/// </summary>
public sealed class PostgresCuratedSink : ICuratedWindowSink
{
    // Any fixed key works: it only serialises concurrent CREATE TABLE IF NOT EXISTS of several curators.
    private const long SchemaLockKey = 0x7273_6375_7261_7465;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresCuratedSink> _logger;
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private volatile bool _initialized;

    public PostgresCuratedSink(string connectionString, string table, string windowsTable, ILogger<PostgresCuratedSink> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        Table = ValidateTableName(table, nameof(table));
        WindowsTable = ValidateTableName(windowsTable, nameof(windowsTable));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public PostgresCuratedSink(IOptions<CurationOptions> options, ILogger<PostgresCuratedSink> logger)
        : this(
            options?.Value.PostgresConnectionString ?? throw new ArgumentException("Curation:PostgresConnectionString is missing.", nameof(options)),
            options.Value.PostgresTable,
            options.Value.PostgresWindowsTable,
            logger)
    {
    }

    public string Name => "postgres";

    /// <summary>Table of curated candidates, as validated against <see cref="SqlIdentifier.Pattern"/>.</summary>
    public string Table { get; }

    /// <summary>Table of written windows.</summary>
    public string WindowsTable { get; }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue(SchemaLockKey);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (string statement in CreateTablesStatements())
            {
                await using var command = new NpgsqlCommand(statement, connection, transaction);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            _initialized = true;
            Log.PostgresReady(_logger, Table, WindowsTable);
        }
        finally
        {
            _initGate.Release();
        }
    }

    public async Task<int> WriteAsync(ClosedWindow window, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(window);
        await InitializeAsync(cancellationToken).ConfigureAwait(false);

        var started = Stopwatch.GetTimestamp();
        var rows = CuratedRow.FromWindow(window);

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        await using (var create = new NpgsqlCommand(CreateStagingSql, connection, transaction))
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await CopyRowsAsync(connection, rows, cancellationToken).ConfigureAwait(false);

        int inserted;
        await using (var insert = new NpgsqlCommand(InsertRowsSql(), connection, transaction))
        {
            inserted = await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var insertWindow = new NpgsqlCommand(InsertWindowSql(), connection, transaction))
        {
            insertWindow.Parameters.AddWithValue(window.WindowId);
            insertWindow.Parameters.AddWithValue(window.ModelVersion);
            insertWindow.Parameters.AddWithValue(window.Size);
            insertWindow.Parameters.AddWithValue(rows.Count);
            insertWindow.Parameters.AddWithValue(inserted);
            insertWindow.Parameters.AddWithValue(window.Threshold);
            insertWindow.Parameters.AddWithValue(window.Fraction);
            insertWindow.Parameters.AddWithValue(window.CloseReason.ToLabel());
            insertWindow.Parameters.AddWithValue(window.OpenedAt.ToUniversalTime());
            insertWindow.Parameters.AddWithValue(window.ClosedAt.ToUniversalTime());
            await insertWindow.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        CurationMetrics.RowsWritten.WithLabels(Name).Inc(inserted);
        CurationMetrics.RowsSkipped.WithLabels(Name).Inc(rows.Count - inserted);
        CurationMetrics.SinkWriteDuration.WithLabels(Name).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        Log.PostgresWindowWritten(_logger, window.WindowId, inserted, rows.Count - inserted);
        return inserted;
    }

    public async ValueTask DisposeAsync() => await _dataSource.DisposeAsync().ConfigureAwait(false);

    private static async Task CopyRowsAsync(NpgsqlConnection connection, IReadOnlyList<CuratedRow> rows, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY curated_staging (candidate_id, image_id, image_uri, text, generator, label, defect, score, model_version, window_id, rank) FROM STDIN (FORMAT BINARY)",
            cancellationToken).ConfigureAwait(false);

        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(row.CandidateId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(row.ImageId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(row.ImageUri, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(row.Text, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(row.Generator, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await WriteNullableTextAsync(importer, row.Label, cancellationToken).ConfigureAwait(false);
            await WriteNullableTextAsync(importer, row.Defect, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(row.Score, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(row.ModelVersion, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(row.WindowId, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
            await importer.WriteAsync(row.Rank, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
        }

        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private static Task WriteNullableTextAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null
            ? importer.WriteNullAsync(cancellationToken)
            : importer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);

    private List<string> CreateTablesStatements()
    {
        var statements = new List<string>();
        foreach (var schema in new[] { SqlIdentifier.SchemaOf(Table), SqlIdentifier.SchemaOf(WindowsTable) }.OfType<string>().Distinct())
        {
            statements.Add($"CREATE SCHEMA IF NOT EXISTS {schema}");
        }

        statements.Add($"""
            CREATE TABLE IF NOT EXISTS {Table} (
                candidate_id  text PRIMARY KEY,
                image_id      text NOT NULL,
                image_uri     text NOT NULL,
                text          text NOT NULL,
                generator     text NOT NULL,
                label         text,
                defect        text,
                score         double precision NOT NULL,
                model_version text NOT NULL,
                window_id     text NOT NULL,
                rank          integer NOT NULL,
                curated_at    timestamptz NOT NULL DEFAULT now()
            )
            """);
        statements.Add($"""
            CREATE TABLE IF NOT EXISTS {WindowsTable} (
                window_id     text PRIMARY KEY,
                model_version text NOT NULL,
                size          integer NOT NULL,
                kept          integer NOT NULL,
                rows_inserted integer NOT NULL,
                threshold     double precision NOT NULL,
                fraction      double precision NOT NULL,
                close_reason  text NOT NULL,
                opened_at     timestamptz NOT NULL,
                closed_at     timestamptz NOT NULL,
                written_at    timestamptz NOT NULL DEFAULT now()
            )
            """);
        return statements;
    }

    // The staging table has no key, so the COPY cannot fail on a repeat. The INSERT that follows skips repeats.
    private const string CreateStagingSql = """
        CREATE TEMPORARY TABLE curated_staging (
            candidate_id text, image_id text, image_uri text, text text, generator text, label text, defect text,
            score double precision, model_version text, window_id text, rank integer
        ) ON COMMIT DROP
        """;

    private string InsertRowsSql() => $"""
        INSERT INTO {Table} (candidate_id, image_id, image_uri, text, generator, label, defect, score, model_version, window_id, rank)
        SELECT candidate_id, image_id, image_uri, text, generator, label, defect, score, model_version, window_id, rank
        FROM curated_staging
        ON CONFLICT (candidate_id) DO NOTHING
        """;

    private string InsertWindowSql() => $"""
        INSERT INTO {WindowsTable} (window_id, model_version, size, kept, rows_inserted, threshold, fraction, close_reason, opened_at, closed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (window_id) DO NOTHING
        """;

    private static string ValidateTableName(string? value, string parameterName) =>
        SqlIdentifier.IsValidTableName(value)
            ? value!
            : throw new ArgumentException($"The table name '{value}' is invalid: it must match {SqlIdentifier.Pattern}.", parameterName);
}
