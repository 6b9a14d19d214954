using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RsStreamCurate.Contracts;

namespace RsStreamCurate.Feedback.ControlPlane;

/// <summary>
/// Decides when to ask for a new reward model. A request is due when <see cref="RetrainPolicyOptions.LabelThreshold"/>
/// new labels exist, or when at least <see cref="RetrainPolicyOptions.MinLabelsForMaxWait"/> exist and the oldest is
/// <see cref="RetrainPolicyOptions.MaxWait"/> old. At most one training runs at a time: a trigger that fires while one
/// runs is deferred, and all deferred triggers become one request (marked <c>Coalesced</c>) when the training reports
/// <see cref="ModelPublished"/> or <see cref="ModelRejected"/>. The methods are thread-safe; the caller publishes the
/// request that a method returns.
/// </summary>
/// <remarks>
/// The state lives in memory: after a restart, labels stored before it are not counted, and a training that was
/// running is not known. NOTE: when publishing a returned request fails, the policy still waits for that training
/// until <see cref="RetrainPolicyOptions.TrainingTimeout"/>.
/// </remarks>
public sealed class RetrainPolicy
{
    public const string LabelCountTrigger = "label_count";
    public const string MaxWaitTrigger = "max_wait";

    // Preference ids already counted, so that a redelivered event is not counted twice.
    private const int RememberedIdCapacity = 100_000;

    private readonly RetrainPolicyOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RetrainPolicy> _logger;
    private readonly Lock _lock = new();
    private readonly List<DateTimeOffset> _pendingRecordedAt = [];
    private readonly HashSet<string> _countedIds = new(StringComparer.Ordinal);
    private readonly Queue<string> _countedOrder = new();
    private string _currentModelVersion;
    private string? _inFlightRequestId;
    private DateTimeOffset _inFlightSince;
    private bool _deferred;

    public RetrainPolicy(IOptions<RetrainPolicyOptions> options, TimeProvider timeProvider, ILogger<RetrainPolicy> logger)
    {
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _currentModelVersion = _options.InitialModelVersion;
    }

    /// <summary>Number of new labels that no request covers yet.</summary>
    public int PendingLabels
    {
        get
        {
            lock (_lock)
            {
                return _pendingRecordedAt.Count;
            }
        }
    }

    /// <summary>Request id of the training in progress, or null.</summary>
    public string? InFlightRequestId
    {
        get
        {
            lock (_lock)
            {
                return _inFlightRequestId;
            }
        }
    }

    public string CurrentModelVersion
    {
        get
        {
            lock (_lock)
            {
                return _currentModelVersion;
            }
        }
    }

    /// <summary>Counts a new label and returns a request when one is due now.</summary>
    public RetrainRequested? OnPreferenceRecorded(PreferenceRecorded recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        lock (_lock)
        {
            if (!Remember(recorded.PreferenceId))
            {
                return null;
            }

            _pendingRecordedAt.Add(recorded.RecordedAt);
            FeedbackMetrics.PendingLabels.Set(_pendingRecordedAt.Count);
            return EvaluateLocked();
        }
    }

    /// <summary>Checks the time trigger and the training timeout; returns a request when one is due now.</summary>
    public RetrainRequested? OnTick()
    {
        lock (_lock)
        {
            return EvaluateLocked();
        }
    }

    /// <summary>
    /// Ends the training in progress when <paramref name="requestId"/> is its id or null, and returns the request
    /// that the labels gathered meanwhile call for. A result for another request is ignored.
    /// </summary>
    public RetrainRequested? OnTrainingFinished(string? requestId, string outcome, string? publishedModelVersion)
    {
        lock (_lock)
        {
            if (requestId is not null && requestId != _inFlightRequestId)
            {
                Log.TrainingResultIgnored(_logger, outcome, requestId, _inFlightRequestId);
                return null;
            }

            if (publishedModelVersion is not null)
            {
                _currentModelVersion = publishedModelVersion;
            }

            Log.TrainingFinished(_logger, requestId ?? _inFlightRequestId, outcome, _currentModelVersion);
            _inFlightRequestId = null;
            FeedbackMetrics.TrainingInProgress.Set(0);
            return EvaluateLocked();
        }
    }

    private RetrainRequested? EvaluateLocked()
    {
        var now = _timeProvider.GetUtcNow();
        if (_inFlightRequestId is not null && now - _inFlightSince >= _options.TrainingTimeout)
        {
            Log.TrainingTimedOut(_logger, _inFlightRequestId, _options.TrainingTimeout.TotalSeconds);
            _inFlightRequestId = null;
            FeedbackMetrics.TrainingInProgress.Set(0);
        }

        string? trigger = DueTrigger(now);
        if (trigger is null)
        {
            return null;
        }

        if (_inFlightRequestId is not null)
        {
            if (!_deferred)
            {
                Log.RetrainDeferred(_logger, trigger, _pendingRecordedAt.Count, _inFlightRequestId);
            }

            _deferred = true;
            return null;
        }

        var request = new RetrainRequested
        {
            RequestId = Guid.NewGuid().ToString("N"),
            BaseModelVersion = _currentModelVersion,
            NewLabelCount = _pendingRecordedAt.Count,
            Trigger = trigger,
            RequestedAt = now,
            OldestLabelAt = _pendingRecordedAt.Min(),
            Coalesced = _deferred,
        };

        foreach (var recordedAt in _pendingRecordedAt)
        {
            FeedbackMetrics.LabelToRetrainSeconds.Observe(Math.Max(0, (now - recordedAt).TotalSeconds));
        }

        FeedbackMetrics.RetrainRequests.WithLabels(trigger).Inc();
        _pendingRecordedAt.Clear();
        FeedbackMetrics.PendingLabels.Set(0);
        _deferred = false;
        _inFlightRequestId = request.RequestId;
        _inFlightSince = now;
        FeedbackMetrics.TrainingInProgress.Set(1);
        Log.RetrainRequested(_logger, request.RequestId, request.BaseModelVersion, request.NewLabelCount, trigger, request.Coalesced);
        return request;
    }

    private string? DueTrigger(DateTimeOffset now)
    {
        int pending = _pendingRecordedAt.Count;
        if (pending >= _options.LabelThreshold)
        {
            return LabelCountTrigger;
        }

        if (pending >= _options.MinLabelsForMaxWait && now - _pendingRecordedAt.Min() >= _options.MaxWait)
        {
            return MaxWaitTrigger;
        }

        return null;
    }

    private bool Remember(string preferenceId)
    {
        if (!_countedIds.Add(preferenceId))
        {
            return false;
        }

        _countedOrder.Enqueue(preferenceId);
        if (_countedOrder.Count > RememberedIdCapacity)
        {
            _countedIds.Remove(_countedOrder.Dequeue());
        }

        return true;
    }
}
