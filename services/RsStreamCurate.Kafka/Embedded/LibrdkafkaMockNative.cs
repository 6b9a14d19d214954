using System.Runtime.InteropServices;

namespace RsStreamCurate.Kafka.Embedded;

/// <summary>
/// Function pointers into the native librdkafka that Confluent.Kafka loaded, for the client and mock-cluster
/// calls that Confluent.Kafka does not wrap.
/// </summary>
/// <remarks>
/// The rd_kafka_mock_* API is declared experimental in rdkafka_mock.h and has no ABI guarantee, so these
/// signatures are only checked against librdkafka 2.16.0 (the version that Confluent.Kafka 2.16.0 ships).
/// </remarks>
internal sealed unsafe class LibrdkafkaMockNative
{
    private static readonly Lazy<LibrdkafkaMockNative> Shared = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    public required string LibraryPath { get; init; }

    public required delegate* unmanaged<nint> ConfNew { get; init; }
    public required delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int> ConfSet { get; init; }
    public required delegate* unmanaged<nint, void> ConfDestroy { get; init; }
    public required delegate* unmanaged<nint, nint, void> ConfSetOpaque { get; init; }
    public required delegate* unmanaged<nint, delegate* unmanaged<nint, int, byte*, byte*, void>, void> ConfSetLogCallback { get; init; }
    public required delegate* unmanaged<nint, nint> Opaque { get; init; }
    public required delegate* unmanaged<int, nint, byte*, nuint, nint> New { get; init; }
    public required delegate* unmanaged<nint, void> Destroy { get; init; }
    public required delegate* unmanaged<int, byte*> ErrorToString { get; init; }

    public required delegate* unmanaged<nint, int, nint> MockClusterNew { get; init; }
    public required delegate* unmanaged<nint, void> MockClusterDestroy { get; init; }
    public required delegate* unmanaged<nint, byte*> MockClusterBootstraps { get; init; }
    public required delegate* unmanaged<nint, byte*, int, int, int> MockTopicCreate { get; init; }
    public required delegate* unmanaged<nint, int, void> MockGroupInitialRebalanceDelayMs { get; init; }
    public required delegate* unmanaged<nint, int, void> MockSetGroupConsumerHeartbeatIntervalMs { get; init; }
    public required delegate* unmanaged<nint, int, void> MockSetGroupConsumerSessionTimeoutMs { get; init; }

    /// <summary>
    /// Returns the bindings for the librdkafka loaded by Confluent.Kafka, loading it first if needed.
    /// Throws <see cref="EmbeddedKafkaUnavailableException"/> when the library or an export cannot be found.
    /// </summary>
    public static LibrdkafkaMockNative Instance => Shared.Value;

    public string DescribeError(int errorCode) => Marshal.PtrToStringUTF8((nint)ErrorToString(errorCode)) ?? $"error {errorCode}";

    private static LibrdkafkaMockNative Load()
    {
        string path = FindLoadedLibrdkafka();
        nint handle;
        try
        {
            handle = NativeLibrary.Load(path);
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            throw new EmbeddedKafkaUnavailableException($"Loading librdkafka from '{path}' failed: {ex.Message}", ex);
        }

        // The handle is never freed: Confluent.Kafka keeps the same library loaded for the process lifetime.
        return new LibrdkafkaMockNative
        {
            LibraryPath = path,
            ConfNew = (delegate* unmanaged<nint>)Export(handle, path, "rd_kafka_conf_new"),
            ConfSet = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)Export(handle, path, "rd_kafka_conf_set"),
            ConfDestroy = (delegate* unmanaged<nint, void>)Export(handle, path, "rd_kafka_conf_destroy"),
            ConfSetOpaque = (delegate* unmanaged<nint, nint, void>)Export(handle, path, "rd_kafka_conf_set_opaque"),
            ConfSetLogCallback = (delegate* unmanaged<nint, delegate* unmanaged<nint, int, byte*, byte*, void>, void>)Export(handle, path, "rd_kafka_conf_set_log_cb"),
            Opaque = (delegate* unmanaged<nint, nint>)Export(handle, path, "rd_kafka_opaque"),
            New = (delegate* unmanaged<int, nint, byte*, nuint, nint>)Export(handle, path, "rd_kafka_new"),
            Destroy = (delegate* unmanaged<nint, void>)Export(handle, path, "rd_kafka_destroy"),
            ErrorToString = (delegate* unmanaged<int, byte*>)Export(handle, path, "rd_kafka_err2str"),
            MockClusterNew = (delegate* unmanaged<nint, int, nint>)Export(handle, path, "rd_kafka_mock_cluster_new"),
            MockClusterDestroy = (delegate* unmanaged<nint, void>)Export(handle, path, "rd_kafka_mock_cluster_destroy"),
            MockClusterBootstraps = (delegate* unmanaged<nint, byte*>)Export(handle, path, "rd_kafka_mock_cluster_bootstraps"),
            MockTopicCreate = (delegate* unmanaged<nint, byte*, int, int, int>)Export(handle, path, "rd_kafka_mock_topic_create"),
            MockGroupInitialRebalanceDelayMs = (delegate* unmanaged<nint, int, void>)Export(handle, path, "rd_kafka_mock_group_initial_rebalance_delay_ms"),
            MockSetGroupConsumerHeartbeatIntervalMs = (delegate* unmanaged<nint, int, void>)Export(handle, path, "rd_kafka_mock_set_group_consumer_heartbeat_interval_ms"),
            MockSetGroupConsumerSessionTimeoutMs = (delegate* unmanaged<nint, int, void>)Export(handle, path, "rd_kafka_mock_set_group_consumer_session_timeout_ms"),
        };
    }

    /// <summary>
    /// Finds the file that Confluent.Kafka loaded. Its name depends on the distribution (on Debian it is
    /// runtimes/linux-x64/native/centos8-librdkafka.so), so it is read from the process's memory maps
    /// instead of being guessed.
    /// </summary>
    private static string FindLoadedLibrdkafka()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new EmbeddedKafkaUnavailableException(
                $"The embedded Kafka broker finds librdkafka through /proc/self/maps, which exists only on Linux, but this is {RuntimeInformation.OSDescription}. Set Kafka:BootstrapServers to a real cluster.");
        }

        try
        {
            // Reading the version forces Confluent.Kafka to load its native library.
            _ = Confluent.Kafka.Library.Version;
        }
        catch (Exception ex) when (ex is DllNotFoundException or TypeInitializationException or InvalidOperationException)
        {
            throw new EmbeddedKafkaUnavailableException(
                $"Confluent.Kafka could not load librdkafka: {ex.Message}. Check that the librdkafka.redist native files for {RuntimeInformation.RuntimeIdentifier} are in the output directory.", ex);
        }

        return FindLibrdkafkaPath(File.ReadLines("/proc/self/maps"))
            ?? throw new EmbeddedKafkaUnavailableException(
                "Confluent.Kafka reported a librdkafka version, but no file named *librdkafka*.so is mapped in /proc/self/maps. Set Kafka:BootstrapServers to a real cluster, or check how librdkafka is loaded.");
    }

    /// <summary>Returns the path of the first mapped file named *librdkafka*.so in /proc/PID/maps lines, or null.</summary>
    internal static string? FindLibrdkafkaPath(IEnumerable<string> mapsLines)
    {
        foreach (string line in mapsLines)
        {
            // The path is the last field and the only one that starts with a slash. It may contain spaces.
            int pathStart = line.IndexOf('/');
            if (pathStart < 0)
            {
                continue;
            }

            string candidate = line[pathStart..].Trim();
            string fileName = Path.GetFileName(candidate);
            if (fileName.Contains("librdkafka", StringComparison.Ordinal) && fileName.EndsWith(".so", StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }

    private static nint Export(nint handle, string path, string name)
    {
        if (!NativeLibrary.TryGetExport(handle, name, out nint address))
        {
            throw new EmbeddedKafkaUnavailableException(
                $"'{path}' does not export {name}. The embedded broker needs the librdkafka 2.16.0 build that Confluent.Kafka 2.16.0 ships, with the mock cluster compiled in.");
        }

        return address;
    }
}

/// <summary>Raised when the embedded Kafka broker cannot start because librdkafka or its mock cluster is not available.</summary>
public sealed class EmbeddedKafkaUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
