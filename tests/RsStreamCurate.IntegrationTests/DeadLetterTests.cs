using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RsStreamCurate.Cli;
using RsStreamCurate.Contracts;
using RsStreamCurate.Kafka;
using RsStreamCurate.Scoring;

namespace RsStreamCurate.IntegrationTests;

/// <summary>Sends each kind of bad input through the real scorer and curator on the embedded broker.</summary>
public sealed class DeadLetterTests
{
    [Fact]
    public async Task Bad_inputs_become_dead_letters()
    {
        using var temp = new TestSupport.TemporaryDirectory();
        string root = Directory.CreateDirectory(Path.Combine(temp.Path, "images")).FullName;
        string sampleImages = Path.Combine(Path.GetDirectoryName(BundledAssets.SampleManifest)!, "images");
        string goodJpeg = Directory.GetFiles(sampleImages, "*.jpg").Order(StringComparer.Ordinal).First();
        File.Copy(goodJpeg, Path.Combine(root, "good.jpg"));
        File.WriteAllBytes(Path.Combine(root, "empty.jpg"), []);
        var jpegBytes = File.ReadAllBytes(goodJpeg);
        File.WriteAllBytes(Path.Combine(root, "truncated.jpg"), jpegBytes[..(jpegBytes.Length * 2 / 3)]);
        File.WriteAllBytes(Path.Combine(root, "huge.png"), PngHeader(30_000, 30_000));
        File.Copy(Path.Combine(sampleImages, "P1888.png"), Path.Combine(root, "heavy.png"));
        File.WriteAllText(Path.Combine(root, "notes.jpg"), "this is a text file, not an image");
        File.Copy(goodJpeg, Path.Combine(temp.Path, "outside.jpg"));

        var defaults = new Dictionary<string, string?>
        {
            ["Scoring:Checkpoint"] = BundledAssets.DefaultCheckpoint,
            ["Scoring:ImageRoot"] = root,
            ["Scoring:MaxFileBytes"] = "400000",
            ["Curation:OutputDirectory"] = Path.Combine(temp.Path, "curated"),
        };
        using var host = PipelineHost.Build(PipelineStages.Scoring | PipelineStages.Curation, defaults, new Dictionary<string, string?>(), null, LogLevel.Warning);
        await host.StartAsync();
        var connection = host.Services.GetRequiredService<KafkaConnection>();
        var scoring = host.Services.GetRequiredService<ScoringWorker>();

        var cases = new (string Name, byte[] Payload, string Topic, string Stage, string Reason)[]
        {
            ("not json", "{not json"u8.ToArray(), Topics.Candidates, "scoring", DeadLetterReasons.UnparseableMessage),
            ("not utf-8", [0xff, 0xfe, 0x00, 0x41], Topics.Candidates, "scoring", DeadLetterReasons.UnparseableMessage),
            ("future schema", Encoding.UTF8.GetBytes("{\"schema_version\":99,\"candidate_id\":\"x\"}"), Topics.Candidates, "scoring", DeadLetterReasons.UnknownSchemaVersion),
            ("missing image", Candidate("nope.jpg", "a plane on a runway"), Topics.Candidates, "scoring", DeadLetterReasons.ImageNotFound),
            ("empty image", Candidate("empty.jpg", "a plane on a runway"), Topics.Candidates, "scoring", DeadLetterReasons.ImageEmpty),
            ("truncated image", Candidate("truncated.jpg", "a plane on a runway"), Topics.Candidates, "scoring", DeadLetterReasons.ImageTruncated),
            ("too many pixels", Candidate("huge.png", "a plane on a runway"), Topics.Candidates, "scoring", DeadLetterReasons.ImageTooLarge),
            ("too many bytes", Candidate("heavy.png", "a plane on a runway"), Topics.Candidates, "scoring", DeadLetterReasons.ImageTooLarge),
            ("not an image", Candidate("notes.jpg", "a plane on a runway"), Topics.Candidates, "scoring", DeadLetterReasons.ImageUnsupported),
            ("outside root", Candidate("../outside.jpg", "a plane on a runway"), Topics.Candidates, "scoring", DeadLetterReasons.PathOutsideImageRoot),
            ("empty caption", Candidate("good.jpg", "  "), Topics.Candidates, "scoring", DeadLetterReasons.EmptyCaption),
            ("scored without fields", "{\"schema_version\":1}"u8.ToArray(), Topics.Scored, "curation", DeadLetterReasons.MissingField),
        };

        using (var producer = connection.CreateProducer("test"))
        {
            foreach (var testCase in cases)
            {
                await producer.ProduceAsync(testCase.Topic, new Message<string?, byte[]> { Key = "bad", Value = testCase.Payload });
            }

            // Good candidates after the bad ones show that the consumer kept going.
            await producer.ProduceAsync(Topics.Candidates, new Message<string?, byte[]> { Key = "good", Value = Candidate("good.jpg", "a white plane is parked on the runway") });
            await producer.ProduceAsync(Topics.Candidates, new Message<string?, byte[]> { Key = "good", Value = Candidate("good.jpg", "many buildings and green trees") });
        }

        IReadOnlyList<DeadLetter> deadLetters = [];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && (deadLetters.Count < cases.Length || scoring.Scored < 2))
        {
            await Task.Delay(250);
            deadLetters = TopicReader.ReadAll(connection, Topics.DeadLetter, TimeSpan.FromSeconds(5)).Select(p => MessageCodec.DecodeDeadLetter(p)).ToList();
        }

        await host.StopAsync();

        Assert.Equal(2, scoring.Scored);
        Assert.Equal(cases.Length, deadLetters.Count);
        foreach (var testCase in cases)
        {
            var (payloadText, isBase64) = MessageCodec.DescribePayload(testCase.Payload);
            var match = deadLetters.Where(d => d.OriginalPayload == payloadText && d.PayloadIsBase64 == isBase64).ToList();
            var deadLetter = Assert.Single(match);
            Assert.True(testCase.Reason == deadLetter.Reason, $"{testCase.Name}: expected reason {testCase.Reason}, got {deadLetter.Reason} ({deadLetter.Detail})");
            Assert.Equal(testCase.Stage, deadLetter.Stage);
            Assert.Equal(testCase.Topic, deadLetter.SourceTopic);
            Assert.False(string.IsNullOrWhiteSpace(deadLetter.Detail), $"{testCase.Name}: the dead letter has no detail");
        }

        var outside = deadLetters.Single(d => d.Reason == DeadLetterReasons.PathOutsideImageRoot);
        Assert.Contains("../outside.jpg", outside.Detail);
    }

    private static byte[] Candidate(string imageUri, string text) => MessageCodec.Encode(new CandidateCaption
    {
        CandidateId = CandidateId.Compute(imageUri, text, "test"),
        ImageId = imageUri,
        ImageUri = imageUri,
        Text = text,
        Generator = "test",
        CreatedAt = DateTimeOffset.UtcNow,
    });

    /// <summary>Builds a PNG signature and IHDR chunk that claim the given size, with no pixel data after them.</summary>
    private static byte[] PngHeader(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = 2;

        var chunkType = "IHDR"u8.ToArray();
        var crcInput = chunkType.Concat(ihdr).ToArray();
        var bytes = new List<byte> { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };
        bytes.AddRange(BigEndian(ihdr.Length));
        bytes.AddRange(crcInput);
        bytes.AddRange(BigEndian((int)Crc32(crcInput)));
        return [.. bytes];
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
