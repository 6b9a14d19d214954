using System.Text.RegularExpressions;
using Npgsql;

namespace RsStreamCurate.Scoring.Registry;

/// <summary>
/// Registry in PostgreSQL for production, where several scorer and trainer processes share it: table
/// <c>model_registry</c> (one row per version) and <c>model_registry_current</c> (one row naming the current version).
/// Checkpoint files still live on shared storage; the table stores their paths.
/// </summary>
public sealed partial class PostgresModelRegistry(string connectionString, string schema = "public") : IModelRegistry
{
    private readonly string _schema = ValidateIdentifier(schema);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"""
            CREATE SCHEMA IF NOT EXISTS {_schema};
            CREATE TABLE IF NOT EXISTS {_schema}.model_registry (
                version text PRIMARY KEY,
                parent_version text,
                status text NOT NULL,
                checkpoint_path text NOT NULL,
                held_out_accuracy double precision,
                parent_held_out_accuracy double precision,
                label_count integer NOT NULL,
                data_digest text,
                reason text,
                created_at timestamptz NOT NULL,
                registered_seq bigserial);
            CREATE TABLE IF NOT EXISTS {_schema}.model_registry_current (
                singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                version text NOT NULL REFERENCES {_schema}.model_registry (version),
                updated_at timestamptz NOT NULL DEFAULT now());
            """, connection);

        // Two processes starting at once would race on CREATE TABLE IF NOT EXISTS; the advisory lock serialises them.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        command.Transaction = transaction;
        await using (var advisory = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('rscurate.model_registry'))", connection, transaction))
        {
            await advisory.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ModelRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM {_schema}.model_registry ORDER BY registered_seq", connection);
        return await ReadAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ModelRecord?> GetCurrentAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM {_schema}.model_registry WHERE version = (SELECT version FROM {_schema}.model_registry_current)",
            connection);
        return (await ReadAsync(command, cancellationToken).ConfigureAwait(false)).SingleOrDefault();
    }

    public async Task RegisterAsync(ModelRecord record, bool makeCurrent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand($"""
            INSERT INTO {_schema}.model_registry
                (version, parent_version, status, checkpoint_path, held_out_accuracy, parent_held_out_accuracy, label_count, data_digest, reason, created_at)
            VALUES (@version, @parent, @status, @path, @accuracy, @parentAccuracy, @labels, @digest, @reason, @createdAt)
            ON CONFLICT (version) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("version", record.Version);
            insert.Parameters.AddWithValue("parent", (object?)record.ParentVersion ?? DBNull.Value);
            insert.Parameters.AddWithValue("status", record.Status);
            insert.Parameters.AddWithValue("path", record.CheckpointPath);
            insert.Parameters.AddWithValue("accuracy", (object?)record.HeldOutAccuracy ?? DBNull.Value);
            insert.Parameters.AddWithValue("parentAccuracy", (object?)record.ParentHeldOutAccuracy ?? DBNull.Value);
            insert.Parameters.AddWithValue("labels", record.LabelCount);
            insert.Parameters.AddWithValue("digest", (object?)record.DataDigest ?? DBNull.Value);
            insert.Parameters.AddWithValue("reason", (object?)record.Reason ?? DBNull.Value);
            insert.Parameters.AddWithValue("createdAt", record.CreatedAt == default ? DateTimeOffset.UtcNow : record.CreatedAt);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (makeCurrent)
        {
            await using var current = new NpgsqlCommand($"""
                INSERT INTO {_schema}.model_registry_current (singleton, version) VALUES (true, @version)
                ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, updated_at = now()
                """, connection, transaction);
            current.Parameters.AddWithValue("version", record.Version);
            await current.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private const string Columns =
        "version, parent_version, status, checkpoint_path, held_out_accuracy, parent_held_out_accuracy, label_count, data_digest, reason, created_at";

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static async Task<IReadOnlyList<ModelRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var records = new List<ModelRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(new ModelRecord
            {
                Version = reader.GetString(0),
                ParentVersion = reader.IsDBNull(1) ? null : reader.GetString(1),
                Status = reader.GetString(2),
                CheckpointPath = reader.GetString(3),
                HeldOutAccuracy = reader.IsDBNull(4) ? null : reader.GetDouble(4),
                ParentHeldOutAccuracy = reader.IsDBNull(5) ? null : reader.GetDouble(5),
                LabelCount = reader.GetInt32(6),
                DataDigest = reader.IsDBNull(7) ? null : reader.GetString(7),
                Reason = reader.IsDBNull(8) ? null : reader.GetString(8),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(9),
            });
        }

        return records;
    }

    private static string ValidateIdentifier(string schema) =>
        IdentifierPattern().IsMatch(schema)
            ? schema
            : throw new ArgumentException($"PostgreSQL schema '{schema}' is not a plain lower-case identifier (letters, digits, underscores, at most 63 characters).", nameof(schema));

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex IdentifierPattern();
}
