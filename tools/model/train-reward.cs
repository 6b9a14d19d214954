#:project ../../services/RsStreamCurate.Training/RsStreamCurate.Training.csproj
#:property PublishAot=false
// Trains the shipped reward model: dotnet run tools/model/train-reward.cs -- MANIFEST OUTPUT_DIR [SEED] [DEFECT_KINDS]
// DEFECT_KINDS is a comma-separated list of snake_case defect names; the default is every kind.
// Until the command-line tool has a train command, this script is the way to reproduce deploy/models/reward-v1.
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Scoring;
using RsStreamCurate.Synthesis;
using RsStreamCurate.Training;

if (args.Length < 2)
{
    Console.Error.WriteLine("Usage: dotnet run tools/model/train-reward.cs -- MANIFEST OUTPUT_DIR [SEED] [DEFECT_KINDS]");
    return 2;
}

var options = new TrainingOptions
{
    ManifestPath = args[0],
    OutputDirectory = args[1],
    Seed = args.Length > 2 ? int.Parse(args[2]) : new TrainingOptions { ManifestPath = "", OutputDirectory = "" }.Seed,
    DefectKinds = args.Length > 3
        ? args[3].Split(',').Select(name => CaptionDefects.AllKinds.Single(kind => CaptionDefects.Name(kind) == name.Trim())).ToList()
        : null,
};

var report = RewardTrainer.Train(options, new ConsoleLogger());
Console.WriteLine(JsonSerializer.Serialize(report, RewardCheckpoint.JsonOptions));
return 0;

// Writes log lines with a UTC timestamp to standard error.
sealed class ConsoleLogger : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
    }
}
