using Microsoft.Extensions.Options;

namespace RsStreamCurate.Feedback.ControlPlane;

/// <summary>Settings of the retrain policy, bound from the <c>Retrain</c> configuration section.</summary>
public sealed class RetrainPolicyOptions
{
    public const string SectionName = "Retrain";

    /// <summary>
    /// When false, this process publishes labels but runs no policy. Enable the policy in exactly one process,
    /// because each running policy sends its own requests.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Number of new labels that triggers a retrain at once.</summary>
    public int LabelThreshold { get; set; } = 500;

    /// <summary>Age of the oldest new label after which <see cref="MinLabelsForMaxWait"/> labels are enough for a retrain.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Minimum number of new labels for the <see cref="MaxWait"/> trigger.</summary>
    public int MinLabelsForMaxWait { get; set; } = 50;

    /// <summary>Interval at which the time trigger is checked.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Time after a request with no <c>ModelPublished</c> or <c>ModelRejected</c> after which the training is taken
    /// as lost, so that a new request can be sent.
    /// </summary>
    public TimeSpan TrainingTimeout { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Model version that the first request names as its base, until a <c>ModelPublished</c> arrives.</summary>
    public string InitialModelVersion { get; set; } = "reward-v2";
}

/// <summary>RabbitMQ settings, bound from the <c>RabbitMq</c> section. With neither a host nor a connection string, the in-memory transport is used.</summary>
public sealed class RabbitMqOptions
{
    public const string SectionName = "RabbitMq";

    /// <summary>AMQP URI such as <c>amqp://user:password@host:5672/vhost</c>; it overrides the separate settings.</summary>
    public string? ConnectionString { get; set; }

    public string? Host { get; set; }

    public ushort Port { get; set; } = 5672;

    public string VirtualHost { get; set; } = "/";

    public string Username { get; set; } = "guest";

    public string Password { get; set; } = "guest";

    /// <summary>True when either a host or a connection string is configured.</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host) || !string.IsNullOrWhiteSpace(ConnectionString);
}

/// <summary>Validates <see cref="RetrainPolicyOptions"/> at start and names each invalid setting.</summary>
public sealed class RetrainPolicyOptionsValidator : IValidateOptions<RetrainPolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, RetrainPolicyOptions options)
    {
        var failures = new List<string>();
        const string section = RetrainPolicyOptions.SectionName;

        if (options.LabelThreshold < 1)
        {
            failures.Add($"{section}:LabelThreshold must be at least 1, but is {options.LabelThreshold}.");
        }

        if (options.MinLabelsForMaxWait < 1)
        {
            failures.Add($"{section}:MinLabelsForMaxWait must be at least 1, but is {options.MinLabelsForMaxWait}.");
        }

        if (options.MaxWait <= TimeSpan.Zero)
        {
            failures.Add($"{section}:MaxWait must be a positive duration such as 00:30:00, but is {options.MaxWait}.");
        }

        if (options.CheckInterval <= TimeSpan.Zero)
        {
            failures.Add($"{section}:CheckInterval must be a positive duration such as 00:00:10, but is {options.CheckInterval}.");
        }

        if (options.TrainingTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{section}:TrainingTimeout must be a positive duration such as 02:00:00, but is {options.TrainingTimeout}.");
        }

        if (string.IsNullOrWhiteSpace(options.InitialModelVersion))
        {
            failures.Add($"{section}:InitialModelVersion is missing; set the model version that scorers run now.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Validates <see cref="RabbitMqOptions"/> at start.</summary>
public sealed class RabbitMqOptionsValidator : IValidateOptions<RabbitMqOptions>
{
    public ValidateOptionsResult Validate(string? name, RabbitMqOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString)
            && !(Uri.TryCreate(options.ConnectionString, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps"))
        {
            // The connection string may contain a password, so it is not repeated.
            return ValidateOptionsResult.Fail($"{RabbitMqOptions.SectionName}:ConnectionString must be an amqp:// or amqps:// URI.");
        }

        if (options.Port == 0)
        {
            return ValidateOptionsResult.Fail($"{RabbitMqOptions.SectionName}:Port must be between 1 and 65535, but is 0.");
        }

        return ValidateOptionsResult.Success;
    }
}
