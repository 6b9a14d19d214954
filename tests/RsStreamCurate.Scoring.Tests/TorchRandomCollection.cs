namespace RsStreamCurate.Scoring.Tests;

/// <summary>
/// Test classes that seed or draw from libtorch's process-wide random generator (training, dropout,
/// <c>torch.manual_seed</c>). xUnit runs them one after another, because a class running in parallel would
/// advance the generator between the seed and its use and break the same-seed checks.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TorchRandomCollection
{
    public const string Name = "libtorch global random generator";
}
