namespace RsStreamCurate.Curation.Sinks;

/// <summary>
/// Durable, idempotent storage of closed windows. When <see cref="WriteAsync"/> completes, the window's kept
/// candidates are durably stored and the caller may store the window's offsets. Writing the same window again,
/// or a window whose kept candidates are partly written already, adds no row for a candidate id that is
/// already stored. A failed write throws, and the caller must not store the offsets.
/// </summary>
public interface ICuratedWindowSink : IAsyncDisposable
{
    /// <summary>Short sink name, used as the <c>sink</c> metric label.</summary>
    string Name { get; }

    /// <summary>Prepares the storage (directory index, tables). <see cref="WriteAsync"/> calls it on first use, so call it at start to fail early.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Writes the kept candidates and a record of the window, and returns the number of rows newly written.</summary>
    Task<int> WriteAsync(ClosedWindow window, CancellationToken cancellationToken);
}
