using TorchSharp;

namespace RsStreamCurate.Scoring.Tests;

public sealed class RewardModelTests
{
    [Fact]
    public void Final_convolution_is_optional()
    {
        var withFinal = new RewardModelOptions { VocabularySize = 100 };
        var withoutFinal = withFinal with { ImageFinalConvolution = false };
        using var full = new RewardModel(withFinal);
        using var light = new RewardModel(withoutFinal);
        using var images = torch.zeros(2, 3, withFinal.InputSize, withFinal.InputSize);

        using var fullEmbeddings = full.EncodeImages(images);
        using var lightEmbeddings = light.EncodeImages(images);

        Assert.Equal([2L, withFinal.EmbeddingSize], fullEmbeddings.shape);
        Assert.Equal([2L, withFinal.EmbeddingSize], lightEmbeddings.shape);

        // The block is a bias-free 3x3 convolution from C to C channels at side InputSize / 16, then batch norm with a weight and bias per channel.
        long channels = withFinal.ImageBaseChannels * 8L;
        long side = withFinal.InputSize / 16;
        Assert.Equal(channels * channels * 9 + 2 * channels, full.CountParameters() - light.CountParameters());
        Assert.Equal(2 * channels * channels * 9 * side * side, ModelFlops.Estimate(withFinal).ImageTower - ModelFlops.Estimate(withoutFinal).ImageTower);
    }

    [Fact]
    public void Old_metadata_keeps_final_convolution()
    {
        // Checkpoints written before the option existed have no image_final_convolution field and were built with the block.
        var options = System.Text.Json.JsonSerializer.Deserialize<RewardModelOptions>(
            """{"input_size": 64, "image_base_channels": 32, "vocabulary_size": 100}""", RewardCheckpoint.JsonOptions)!;

        Assert.True(options.ImageFinalConvolution);
    }
}
