using System.Text;
using Confluent.Kafka;
using RsStreamCurate.Contracts;
using Xunit.Abstractions;

namespace RsStreamCurate.Kafka.Tests;

public sealed class KafkaBatchConsumerServiceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Uncommitted_batch_is_redelivered_to_new_member()
    {
        using var context = KafkaTestContext.Create(output);
        context.CreateTopic("redelivery", 1);
        bool markDurable = true;
        Task Handle(DelegateConsumerService service, IReadOnlyList<ConsumeResult<string?, byte[]>> batch)
        {
            if (Volatile.Read(ref markDurable))
            {
                service.MarkAllDurable(batch);
            }

            return Task.CompletedTask;
        }

        var first = new DelegateConsumerService(context, "redelivery-first", "redelivery-group", "redelivery", Handle);
        await first.StartAsync(CancellationToken.None);
        context.ProduceText("redelivery", 10, "durable-");
        await KafkaTestContext.WaitUntilAsync(() => first.Received.Count == 10, "the first member handled the durable messages");
        await KafkaTestContext.WaitUntilAsync(() => first.PendingCount == 0, "nothing is pending");
        Volatile.Write(ref markDurable, false);
        context.ProduceText("redelivery", 10, "pending-");
        await KafkaTestContext.WaitUntilAsync(() => first.Received.Count == 20, "the first member received the pending messages");
        int pendingAtStop = first.PendingCount;
        await first.StopAsync(CancellationToken.None);
        first.Dispose();

        Volatile.Write(ref markDurable, true);
        var second = new DelegateConsumerService(context, "redelivery-second", "redelivery-group", "redelivery", Handle);
        await second.StartAsync(CancellationToken.None);
        await KafkaTestContext.WaitUntilAsync(() => second.Received.Count >= 10, "the second member received the redelivered messages");
        await Task.Delay(500);
        await second.StopAsync(CancellationToken.None);
        second.Dispose();

        var redelivered = second.Received.Select(m => m.Message.Key).ToList();
        Assert.Equal(10, pendingAtStop);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"pending-{i}"), redelivered);
    }

    [Fact]
    public async Task Work_marked_while_stopping_is_committed()
    {
        using var context = KafkaTestContext.Create(output, options => options.CommitInterval = TimeSpan.FromMinutes(10));
        context.CreateTopic("stopping", 1);
        var first = new DelegateConsumerService(
            context, "stopping-first", "stopping-group", "stopping", (_, _) => Task.CompletedTask,
            onStopping: service => service.MarkAllDurable(service.Received));

        await first.StartAsync(CancellationToken.None);
        context.ProduceText("stopping", 10, "s-");
        await KafkaTestContext.WaitUntilAsync(() => first.Received.Count == 10, "the first member handled the messages and holds them pending");
        await first.StopAsync(CancellationToken.None);
        first.Dispose();
        context.ProduceText("stopping", 1, "later-");
        var second = new DelegateConsumerService(context, "stopping-second", "stopping-group", "stopping", (_, _) => Task.CompletedTask);
        await second.StartAsync(CancellationToken.None);
        await KafkaTestContext.WaitUntilAsync(() => !second.Received.IsEmpty, "the second member received a message");
        await Task.Delay(300);
        await second.StopAsync(CancellationToken.None);
        second.Dispose();

        Assert.Equal("later-0", Assert.Single(second.Received).Message.Key);
    }

    [Fact]
    public async Task Revoked_pending_work_moves_to_new_member()
    {
        using var context = KafkaTestContext.Create(output);
        context.CreateTopic("revoke", 2);
        context.ProduceText("revoke", 10, "p0-", partition: 0);
        context.ProduceText("revoke", 10, "p1-", partition: 1);
        var holder = new DelegateConsumerService(context, "revoke-holder", "revoke-group", "revoke", (_, _) => Task.CompletedTask);
        var joiner = new DelegateConsumerService(context, "revoke-joiner", "revoke-group", "revoke", (svc, batch) =>
        {
            svc.MarkAllDurable(batch);
            return Task.CompletedTask;
        });

        await holder.StartAsync(CancellationToken.None);
        await KafkaTestContext.WaitUntilAsync(() => holder.PendingCount == 20, "the first member holds all messages pending");
        await joiner.StartAsync(CancellationToken.None);
        await KafkaTestContext.WaitUntilAsync(() => Volatile.Read(ref joiner.AssignedCount) == 1 && Volatile.Read(ref holder.AssignedCount) == 1, "each member owns one partition");
        await KafkaTestContext.WaitUntilAsync(() => joiner.Received.Count >= 10, "the new member received the moved partition's messages");
        int holderPending = holder.PendingCount;
        await joiner.StopAsync(CancellationToken.None);
        await holder.StopAsync(CancellationToken.None);
        joiner.Dispose();
        holder.Dispose();

        var movedPartition = Assert.Single(joiner.Received.Select(m => m.Partition.Value).Distinct());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"p{movedPartition}-{i}"), joiner.Received.Select(m => m.Message.Key));
        Assert.Equal(10, holderPending);
    }

    [Fact]
    public async Task Throwing_handler_dead_letters_message_and_continues()
    {
        using var context = KafkaTestContext.Create(output);
        var handled = new List<string>();
        var service = new DelegateConsumerService(context, "poison-stage", "poison-group", Topics.Candidates, (svc, batch) =>
        {
            if (batch.Any(m => m.Message.Key == "poison-3"))
            {
                throw new MessageDecodeException(DeadLetterReasons.MissingField, "candidate poison-3 has no text");
            }

            lock (handled)
            {
                handled.AddRange(batch.Select(m => m.Message.Key!));
            }

            svc.MarkAllDurable(batch);
            return Task.CompletedTask;
        });
        double deadLettersBefore = KafkaMetrics.DeadLetters.WithLabels("poison-stage", DeadLetterReasons.MissingField).Value;

        await service.StartAsync(CancellationToken.None);
        context.ProduceText(Topics.Candidates, 8, "poison-", partition: 0);
        await KafkaTestContext.WaitUntilAsync(() => { lock (handled) { return handled.Count == 7; } }, "the seven good messages were handled");
        context.ProduceText(Topics.Candidates, 2, "after-", partition: 0);
        await KafkaTestContext.WaitUntilAsync(() => { lock (handled) { return handled.Count == 9; } }, "the loop kept consuming after the dead letter");
        await KafkaTestContext.WaitUntilAsync(() => service.PendingCount == 0, "the dead-lettered message counts as durable");
        await service.StopAsync(CancellationToken.None);
        service.Dispose();

        var deadLetters = context.ReadFromStart(Topics.DeadLetter, 1);
        var deadLetter = MessageCodec.DecodeDeadLetter(Assert.Single(deadLetters).Message.Value);
        Assert.Equal("poison-3", Assert.Single(deadLetters).Message.Key);
        Assert.Equal("poison-stage", deadLetter.Stage);
        Assert.Equal(DeadLetterReasons.MissingField, deadLetter.Reason);
        Assert.Contains("candidate poison-3 has no text", deadLetter.Detail);
        Assert.Equal(Topics.Candidates, deadLetter.SourceTopic);
        Assert.Equal(0, deadLetter.SourcePartition);
        Assert.Equal(3, deadLetter.SourceOffset);
        Assert.Equal("poison-3", deadLetter.OriginalPayload);
        Assert.False(deadLetter.PayloadIsBase64);
        Assert.DoesNotContain("poison-3", handled);
        Assert.Equal(deadLettersBefore + 1, KafkaMetrics.DeadLetters.WithLabels("poison-stage", DeadLetterReasons.MissingField).Value);
    }

    [Fact]
    public async Task Undecodable_key_is_dead_lettered_as_base64()
    {
        using var context = KafkaTestContext.Create(output);
        context.CreateTopic("binary", 1);
        var service = new DelegateConsumerService(context, "binary-stage", "binary-group", "binary", (svc, batch) =>
        {
            svc.MarkAllDurable(batch);
            return Task.CompletedTask;
        });
        byte[] invalidUtf8 = [0xff, 0xfe, 0x00, 0x81];

        await service.StartAsync(CancellationToken.None);
        context.Produce("binary", [(invalidUtf8, invalidUtf8), (Encoding.UTF8.GetBytes("good"), Encoding.UTF8.GetBytes("good"))]);
        await KafkaTestContext.WaitUntilAsync(() => service.Received.Count == 1, "the valid message after the bad one was handled");
        await KafkaTestContext.WaitUntilAsync(() => service.PendingCount == 0, "the bad record counts as durable");
        await service.StopAsync(CancellationToken.None);
        service.Dispose();

        var deadLetter = MessageCodec.DecodeDeadLetter(Assert.Single(context.ReadFromStart(Topics.DeadLetter, 1)).Message.Value);
        Assert.Equal("binary-stage", deadLetter.Stage);
        Assert.Equal(DeadLetterReasons.UnparseableMessage, deadLetter.Reason);
        Assert.True(deadLetter.PayloadIsBase64);
        Assert.Equal(Convert.ToBase64String(invalidUtf8), deadLetter.OriginalPayload);
        Assert.Equal("good", Assert.Single(service.Received).Message.Key);
    }

    [Fact]
    public async Task Tick_runs_without_messages()
    {
        using var context = KafkaTestContext.Create(output);
        var service = new DelegateConsumerService(context, "tick-stage", "tick-group", Topics.Scored, (_, _) => Task.CompletedTask);

        await service.StartAsync(CancellationToken.None);
        await KafkaTestContext.WaitUntilAsync(() => Volatile.Read(ref service.TickCount) >= 3, "three ticks ran");
        await service.StopAsync(CancellationToken.None);
        service.Dispose();

        Assert.Empty(service.Received);
    }

    [Fact]
    public async Task Transient_failure_is_retried_then_stops_loop()
    {
        using var context = KafkaTestContext.Create(output, options => options.HandlerMaxRetries = 2);
        context.CreateTopic("transient", 1);
        int attempts = 0;
        var service = new DelegateConsumerService(context, "transient-stage", "transient-group", "transient", (_, _) =>
        {
            Interlocked.Increment(ref attempts);
            throw new IOException("storage is unavailable");
        });

        await service.StartAsync(CancellationToken.None);
        context.ProduceText("transient", 1, "t-");
        var execution = service.ExecuteTask!;
        var finished = await Task.WhenAny(execution, Task.Delay(KafkaTestContext.Timeout));
        await service.StopAsync(CancellationToken.None);
        service.Dispose();

        Assert.Same(execution, finished);
        Assert.IsType<IOException>(execution.Exception?.InnerException);
        Assert.Equal(3, attempts);
        Assert.Empty(context.ReadFromStart(Topics.DeadLetter, 1, TimeSpan.FromSeconds(1)));
    }
}
