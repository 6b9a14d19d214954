using Microsoft.Extensions.Options;

namespace RsStreamCurate.Kafka;

/// <summary>Checks the <see cref="KafkaOptions"/> rules that data annotations cannot express. Each message names the setting.</summary>
internal sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    // librdkafka rejects these with group.protocol=consumer, where the broker owns them.
    private static readonly string[] ClassicOnlyProperties = ["session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy"];

    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        var failures = new List<string>();

        if (!string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            foreach (string server in options.BootstrapServers.Split(',', StringSplitOptions.TrimEntries))
            {
                int colon = server.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(server[(colon + 1)..], out int port) || port is < 1 or > 65535)
                {
                    failures.Add($"Kafka:BootstrapServers entry '{server}' is invalid: expected host:port with a port from 1 to 65535, or leave the setting empty for the embedded broker.");
                }
            }
        }

        RequirePositive(failures, "ConsumeBatchMaxWait", options.ConsumeBatchMaxWait);
        RequirePositive(failures, "TickInterval", options.TickInterval);
        RequirePositive(failures, "CommitInterval", options.CommitInterval);
        RequirePositive(failures, "HandlerRetryDelay", options.HandlerRetryDelay);
        RequirePositive(failures, "RequestTimeout", options.RequestTimeout);
        RequirePositive(failures, "LagReportInterval", options.LagReportInterval);
        if (options.LagCacheDuration < TimeSpan.Zero)
        {
            failures.Add($"Kafka:LagCacheDuration is {options.LagCacheDuration}, but it must not be negative.");
        }

        if (options.GroupProtocol is not null && options.GroupProtocol is not ("consumer" or "classic"))
        {
            failures.Add($"Kafka:GroupProtocol is '{options.GroupProtocol}', but it must be 'consumer', 'classic' or empty.");
        }

        CheckRawProperties(failures, "Client", options.Client);
        CheckRawProperties(failures, "Producer", options.Producer);
        CheckRawProperties(failures, "Consumer", options.Consumer);
        foreach (var (group, topics) in options.MonitoredGroups)
        {
            if (string.IsNullOrWhiteSpace(topics) || topics.Split(',', StringSplitOptions.TrimEntries).Any(string.IsNullOrEmpty))
            {
                failures.Add($"Kafka:MonitoredGroups:{group} is '{topics}', but it must be a comma-separated list of topic names.");
            }
        }

        foreach (var section in new[] { ("Client", options.Client), ("Consumer", options.Consumer) })
        {
            if (section.Item2.TryGetValue("enable.auto.offset.store", out string? store) && store.Trim() != "false")
            {
                failures.Add($"Kafka:{section.Item1}:enable.auto.offset.store is '{store}', but it must stay false: offsets are stored only after the work is durable.");
            }
        }

        bool usesConsumerProtocol = options.GroupProtocol == "consumer"
            || (options.GroupProtocol is null && string.IsNullOrWhiteSpace(options.BootstrapServers));
        if (usesConsumerProtocol)
        {
            foreach (var section in new[] { ("Client", options.Client), ("Consumer", options.Consumer) })
            {
                foreach (string property in ClassicOnlyProperties.Where(section.Item2.ContainsKey))
                {
                    failures.Add($"Kafka:{section.Item1}:{property} is set, but group.protocol=consumer does not allow it because the broker owns it. Remove it or set Kafka:GroupProtocol to 'classic'.");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void RequirePositive(List<string> failures, string setting, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Kafka:{setting} is {value}, but it must be greater than zero.");
        }
    }

    private static void CheckRawProperties(List<string> failures, string section, Dictionary<string, string> properties)
    {
        foreach (var (key, value) in properties)
        {
            if (string.IsNullOrWhiteSpace(key) || value is null)
            {
                failures.Add($"Kafka:{section} contains an entry with an empty name or a missing value ('{key}').");
            }
        }
    }
}
