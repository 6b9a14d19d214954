namespace RsStreamCurate.Scoring.Registry;

/// <summary>Versions of the reward model and which one is current.</summary>
public interface IModelRegistry
{
    /// <summary>Creates what the registry needs (folders, tables); safe to call more than once.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Returns every version in registration order.</summary>
    Task<IReadOnlyList<ModelRecord>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Returns the current version, or null when none was registered yet.</summary>
    Task<ModelRecord?> GetCurrentAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Records a version. A version that is already registered is left unchanged. When <paramref name="makeCurrent"/>
    /// is set the version becomes current after it is recorded.
    /// </summary>
    Task RegisterAsync(ModelRecord record, bool makeCurrent, CancellationToken cancellationToken);
}
