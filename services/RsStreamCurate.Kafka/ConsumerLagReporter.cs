using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RsStreamCurate.Kafka;

/// <summary>
/// Publishes <c>rscurate_consumer_lag_messages{group,topic}</c> for every group in
/// <see cref="KafkaOptions.MonitoredGroups"/> every <see cref="KafkaOptions.LagReportInterval"/>, so dashboards
/// see the lag even when no producer waits at a gate. Does nothing when no group is configured.
/// </summary>
public sealed partial class ConsumerLagReporter(
    ConsumerLagMonitor monitor,
    IOptions<KafkaOptions> options,
    ILogger<ConsumerLagReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pairs = options.Value.MonitoredGroups
            .SelectMany(entry => entry.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(topic => (Group: entry.Key, Topic: topic)))
            .ToList();
        if (pairs.Count == 0)
        {
            return;
        }

        LogStarted(pairs.Count, options.Value.LagReportInterval.TotalSeconds);
        using var timer = new PeriodicTimer(options.Value.LagReportInterval);
        do
        {
            foreach (var (group, topic) in pairs)
            {
                try
                {
                    await monitor.GetLagAsync(group, topic, stoppingToken).ConfigureAwait(false);
                }
                catch (KafkaException ex)
                {
                    LogMeasureFailed(ex, group, topic);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 1410, Level = LogLevel.Information, Message = "Publishing the lag of {Count} group and topic pairs every {IntervalSeconds} s")]
    private partial void LogStarted(int count, double intervalSeconds);

    [LoggerMessage(EventId = 1411, Level = LogLevel.Warning, Message = "Measuring the lag of group {GroupId} on {Topic} failed")]
    private partial void LogMeasureFailed(Exception exception, string groupId, string topic);
}
