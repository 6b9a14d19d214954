using System.Text.Json;
using System.Text.Json.Serialization;

namespace RsStreamCurate.Contracts;

/// <summary>Source-generated System.Text.Json metadata for every message, in snake_case.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(CandidateCaption))]
[JsonSerializable(typeof(ScoredCandidate))]
[JsonSerializable(typeof(CuratedWindow))]
[JsonSerializable(typeof(DeadLetter))]
[JsonSerializable(typeof(PreferenceRecorded))]
[JsonSerializable(typeof(RetrainRequested))]
[JsonSerializable(typeof(ModelPublished))]
[JsonSerializable(typeof(ModelRejected))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
