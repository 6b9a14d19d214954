namespace RsStreamCurate.Curation;

/// <summary>
/// Kafka position of one consumed message. The engine returns these with each closed window, so the caller
/// stores offsets only after the window is written.
/// </summary>
/// <param name="Offset">Offset of the consumed message itself, not the next one to read.</param>
public readonly record struct SourcePosition(string Topic, int Partition, long Offset)
{
    /// <summary>Offset to store or commit: Kafka expects the offset of the next message to read.</summary>
    public long NextOffset => Offset + 1;

    public override string ToString() => $"{Topic}[{Partition}]@{Offset}";
}
