using TorchSharp;

namespace RsStreamCurate.Scoring.Tests;

public sealed class TorchSmokeTests
{
    [Fact]
    public void Libtorch_loads_and_multiplies()
    {
        using var a = torch.ones(2, 3);
        using var b = torch.ones(3, 4);
        using var product = a.matmul(b);

        Assert.Equal(new long[] { 2, 4 }, product.shape);
        Assert.Equal(3f, product[1, 2].item<float>());
        Assert.Contains("device", TorchRuntime.Describe());
    }
}
