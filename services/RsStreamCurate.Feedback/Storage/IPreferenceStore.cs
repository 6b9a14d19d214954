namespace RsStreamCurate.Feedback.Storage;

/// <summary>Durable, idempotent storage of preference labels keyed by preference id.</summary>
public interface IPreferenceStore : IAsyncDisposable
{
    /// <summary>Short name for logs, such as <c>jsonl</c> or <c>postgres</c>.</summary>
    string Name { get; }

    /// <summary>Opens the store (creates the file or table when missing) and returns every stored label, oldest first.</summary>
    Task<IReadOnlyList<PreferenceRecord>> OpenAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores the labels whose ids are not stored yet and returns those, in input order. The labels are durable
    /// when the call returns. A label whose id is already stored is skipped, even when its other fields differ.
    /// </summary>
    Task<IReadOnlyList<PreferenceRecord>> AddAsync(IReadOnlyList<PreferenceRecord> records, CancellationToken cancellationToken);
}
