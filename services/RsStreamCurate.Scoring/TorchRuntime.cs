using TorchSharp;

namespace RsStreamCurate.Scoring;

/// <summary>Device selection and a load check for the native libtorch runtime.</summary>
public static class TorchRuntime
{
    /// <summary>Returns CUDA when TorchSharp reports a device, otherwise the CPU.</summary>
    public static torch.Device SelectDevice() => torch.cuda.is_available() ? torch.CUDA : torch.CPU;

    /// <summary>Loads libtorch and returns a short description of the runtime, for logs and smoke tests.</summary>
    public static string Describe()
    {
        var device = SelectDevice();
        return $"TorchSharp {typeof(torch).Assembly.GetName().Version}, device {device.type}, {torch.get_num_threads()} threads";
    }
}
