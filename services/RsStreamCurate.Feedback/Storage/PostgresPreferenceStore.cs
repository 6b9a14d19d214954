using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace RsStreamCurate.Feedback.Storage;

/// <summary>
/// Stores labels in a PostgreSQL table keyed by preference id. One <see cref="AddAsync"/> is one
/// <c>INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING RETURNING</c> statement, so a retried
/// request inserts nothing twice, and concurrent feedback instances may share the table.
/// </summary>
public sealed class PostgresPreferenceStore : IPreferenceStore
{
    // Any fixed key works: it only serialises concurrent CREATE TABLE IF NOT EXISTS of several instances.
    private const long SchemaLockKey = 0x7273_6665_6564_6261;

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresPreferenceStore> _logger;

    /// <param name="table">Table name, already validated against the pattern in <see cref="FeedbackOptionsValidator"/>.</param>
    public PostgresPreferenceStore(string connectionString, string table, ILogger<PostgresPreferenceStore> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentException.ThrowIfNullOrWhiteSpace(table);
        Table = table;
        _logger = logger;
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string Name => "postgres";

    public string Table { get; }

    public async Task<IReadOnlyList<PreferenceRecord>> OpenAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue(SchemaLockKey);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (string statement in CreateStatements())
            {
                await using var command = new NpgsqlCommand(statement, connection, transaction);
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        // NOTE: every label is loaded at start to rebuild the judged-pair index. A table of many millions of
        // labels would need that index in SQL.
        var records = new List<PreferenceRecord>();
        await using (var select = new NpgsqlCommand(
            $"SELECT preference_id, labeller_id, image_id, chosen_text, rejected_text, chosen_candidate_id, rejected_candidate_id, dimension, comment, model_version, recorded_at FROM {Table} ORDER BY recorded_at, preference_id",
            connection))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                records.Add(new PreferenceRecord
                {
                    PreferenceId = reader.GetString(0),
                    LabellerId = reader.GetString(1),
                    ImageId = reader.GetString(2),
                    ChosenText = reader.GetString(3),
                    RejectedText = reader.GetString(4),
                    ChosenCandidateId = reader.IsDBNull(5) ? null : reader.GetString(5),
                    RejectedCandidateId = reader.IsDBNull(6) ? null : reader.GetString(6),
                    Dimension = reader.IsDBNull(7) ? null : reader.GetString(7),
                    Comment = reader.IsDBNull(8) ? null : reader.GetString(8),
                    ModelVersion = reader.IsDBNull(9) ? null : reader.GetString(9),
                    RecordedAt = reader.GetFieldValue<DateTimeOffset>(10),
                });
            }
        }

        Log.StoreOpened(_logger, $"{Name} {Table}", records.Count);
        return records;
    }

    public async Task<IReadOnlyList<PreferenceRecord>> AddAsync(IReadOnlyList<PreferenceRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return [];
        }

        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO {Table} (preference_id, labeller_id, image_id, chosen_text, rejected_text, chosen_candidate_id,
                                 rejected_candidate_id, dimension, comment, model_version, recorded_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                 $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])
            ON CONFLICT (preference_id) DO NOTHING
            RETURNING preference_id
            """);
        AddArray(command, records, r => r.PreferenceId);
        AddArray(command, records, r => r.LabellerId);
        AddArray(command, records, r => r.ImageId);
        AddArray(command, records, r => r.ChosenText);
        AddArray(command, records, r => r.RejectedText);
        AddArray(command, records, r => r.ChosenCandidateId);
        AddArray(command, records, r => r.RejectedCandidateId);
        AddArray(command, records, r => r.Dimension);
        AddArray(command, records, r => r.Comment);
        AddArray(command, records, r => r.ModelVersion);
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz,
            TypedValue = records.Select(r => r.RecordedAt.UtcDateTime).ToArray(),
        });

        var inserted = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                inserted.Add(reader.GetString(0));
            }
        }

        // A batch that names one id twice inserts it once, and the first occurrence is reported as added.
        var added = new List<PreferenceRecord>(inserted.Count);
        foreach (var record in records)
        {
            if (inserted.Remove(record.PreferenceId))
            {
                added.Add(record);
            }
        }

        return added;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static void AddArray(NpgsqlCommand command, IReadOnlyList<PreferenceRecord> records, Func<PreferenceRecord, string?> field) =>
        command.Parameters.Add(new NpgsqlParameter<string?[]>
        {
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
            TypedValue = records.Select(field).ToArray(),
        });

    private List<string> CreateStatements()
    {
        var statements = new List<string>();
        int dot = Table.IndexOf('.');
        if (dot > 0)
        {
            statements.Add($"CREATE SCHEMA IF NOT EXISTS {Table[..dot]}");
        }

        statements.Add($"""
            CREATE TABLE IF NOT EXISTS {Table} (
                preference_id         text PRIMARY KEY,
                labeller_id           text NOT NULL,
                image_id              text NOT NULL,
                chosen_text           text NOT NULL,
                rejected_text         text NOT NULL,
                chosen_candidate_id   text,
                rejected_candidate_id text,
                dimension             text,
                comment               text,
                model_version         text,
                recorded_at           timestamptz NOT NULL,
                stored_at             timestamptz NOT NULL DEFAULT now()
            )
            """);
        return statements;
    }
}
