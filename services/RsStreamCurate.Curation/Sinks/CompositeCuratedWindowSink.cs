namespace RsStreamCurate.Curation.Sinks;

/// <summary>
/// Writes each window to several sinks in turn. If one fails, the exception propagates and the caller does
/// not store the offsets. The replay is then harmless to the sinks that had already written the window.
/// </summary>
public sealed class CompositeCuratedWindowSink : ICuratedWindowSink
{
    private readonly IReadOnlyList<ICuratedWindowSink> _sinks;

    public CompositeCuratedWindowSink(IEnumerable<ICuratedWindowSink> sinks)
    {
        ArgumentNullException.ThrowIfNull(sinks);
        _sinks = sinks.ToArray();
        if (_sinks.Count == 0)
        {
            throw new ArgumentException("A composite sink needs at least one sink.", nameof(sinks));
        }
    }

    public string Name => string.Join('+', _sinks.Select(s => s.Name));

    public IReadOnlyList<ICuratedWindowSink> Sinks => _sinks;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        foreach (var sink in _sinks)
        {
            await sink.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes to every sink and returns the rows newly written by the first one.</summary>
    public async Task<int> WriteAsync(ClosedWindow window, CancellationToken cancellationToken)
    {
        int firstRows = 0;
        for (int i = 0; i < _sinks.Count; i++)
        {
            int rows = await _sinks[i].WriteAsync(window, cancellationToken).ConfigureAwait(false);
            if (i == 0)
            {
                firstRows = rows;
            }
        }

        return firstRows;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var sink in _sinks)
        {
            await sink.DisposeAsync().ConfigureAwait(false);
        }
    }
}
