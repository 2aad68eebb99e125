using System.Diagnostics;

namespace Wharf.Client.Tests;

/// <summary>
/// A share consumer's calls without a broker (bootstrap 127.0.0.1:1, where nothing listens): lifecycle,
/// acknowledgement rules, disposal and the one-thread-at-a-time guard.
/// </summary>
public class ShareConsumerLifecycleTests
{
    private const int State = -172;

    [Fact]
    public void SubscribeConsumeClose_WithNoBrokerListening_ConsumeReturnsAnEmptyBatchWithinItsTimeout()
    {
        using var consumer = NoBroker.Consumer();
        consumer.Subscribe(["orders", "payments"]);

        var clock = Stopwatch.StartNew();
        var batch = consumer.Consume(TimeSpan.FromMilliseconds(300));
        clock.Stop();

        Assert.Empty(batch);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"Consume(300 ms) took {clock.Elapsed}");
        consumer.Close();
    }

    [Fact]
    public void Create_WithAnAcknowledgementCallback_RegistersIt_AndTheCallsStillWork()
    {
        var commits = new List<ShareAcknowledgementCommit>();
        var consumer = new ShareConsumer(NoBroker.Config(ShareAcknowledgementMode.Explicit), commits.Add);
        consumer.Subscribe(["orders"]);

        Assert.Empty(consumer.Consume(TimeSpan.FromMilliseconds(100)));
        consumer.CommitAsync();
        consumer.Close();
        consumer.Dispose();

        Assert.Empty(commits); // nothing was acknowledged, so the broker had nothing to answer
    }

    [Fact]
    public void Subscription_AfterSubscribe_ListsTheTopics_AndUnsubscribeClearsIt()
    {
        using var consumer = NoBroker.Consumer();

        consumer.Subscribe(["orders", "payments"]);
        Assert.Equal(["orders", "payments"], consumer.Subscription().Order(StringComparer.Ordinal));

        consumer.Unsubscribe();
        Assert.Empty(consumer.Subscription());
    }

    [Fact]
    public void Subscribe_WithADuplicatedTopic_ThrowsInvalidArgument()
    {
        using var consumer = NoBroker.Consumer();

        var error = Assert.Throws<ShareConsumerException>(() => consumer.Subscribe(["orders", "orders"]));

        Assert.Equal("_INVALID_ARG", error.Error.Name);
    }

    [Fact]
    public void Consume_BeforeSubscribing_ThrowsStateError()
    {
        using var consumer = NoBroker.Consumer();

        var error = Assert.Throws<ShareConsumerException>(() => consumer.Consume(TimeSpan.Zero));

        Assert.Equal(State, error.Code);
        Assert.Contains("not subscribed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Consume_WithANegativeTimeout_ThrowsArgumentOutOfRange()
    {
        using var consumer = NoBroker.Consumer();

        Assert.Throws<ArgumentOutOfRangeException>(() => consumer.Consume(TimeSpan.FromMilliseconds(-5)));
    }

    [Fact]
    public void CommitSync_WithNothingPending_ReturnsNoResults()
    {
        using var consumer = NoBroker.Consumer();
        consumer.Subscribe(["orders"]);

        Assert.Empty(consumer.CommitSync(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void CommitAsync_WithNothingPending_Succeeds()
    {
        using var consumer = NoBroker.Consumer();
        consumer.Subscribe(["orders"]);

        consumer.CommitAsync();
    }

    [Fact]
    public void Acknowledge_ARecordNotFromThisConsumer_ThrowsArgumentException()
    {
        using var consumer = NoBroker.Consumer(ShareAcknowledgementMode.Explicit);
        consumer.Subscribe(["orders"]);
        var stranger = new ShareRecord("orders", 0, 42, key: null, value: [1, 2, 3]);

        var error = Assert.Throws<ArgumentException>(() => consumer.Acknowledge(stranger));

        Assert.Contains("not delivered by this consumer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Acknowledge_InImplicitMode_ThrowsInvalidOperationSayingWhy()
    {
        using var consumer = NoBroker.Consumer(ShareAcknowledgementMode.Implicit);
        consumer.Subscribe(["orders"]);
        var record = new ShareRecord("orders", 0, 42, key: null, value: null);

        var error = Assert.Throws<InvalidOperationException>(() => consumer.Acknowledge(record));

        Assert.Contains("share.acknowledgement.mode=explicit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Close_Twice_IsANoOp_AndLaterCallsFailWithAStateError()
    {
        using var consumer = NoBroker.Consumer();
        consumer.Subscribe(["orders"]);

        consumer.Close();
        consumer.Close();

        var error = Assert.Throws<ShareConsumerException>(() => consumer.Consume(TimeSpan.Zero));
        Assert.Equal(State, error.Code);
    }

    [Fact]
    public void Dispose_Twice_IsSafe()
    {
        var consumer = NoBroker.Consumer();
        consumer.Subscribe(["orders"]);

        consumer.Dispose();
        consumer.Dispose();
    }

    [Fact]
    public void Dispose_AfterClose_IsSafe()
    {
        var consumer = NoBroker.Consumer();
        consumer.Close();

        consumer.Dispose();
    }

    public static TheoryData<string> Calls() =>
        ["Subscribe", "Unsubscribe", "Subscription", "Consume", "Acknowledge", "CommitSync", "CommitAsync", "Close"];

    [Theory]
    [MemberData(nameof(Calls))]
    public void Call_AfterDispose_ThrowsObjectDisposedException(string call)
    {
        var consumer = NoBroker.Consumer(ShareAcknowledgementMode.Explicit);
        consumer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => Invoke(consumer, call));
    }

    [Fact]
    public async Task Call_WhileAnotherCallIsRunning_ThrowsInvalidOperationAtOnce()
    {
        using var consumer = NoBroker.Consumer();
        consumer.Subscribe(["orders"]);
        var consuming = Task.Factory.StartNew(() => consumer.Consume(TimeSpan.FromSeconds(2)), TaskCreationOptions.LongRunning);
        Assert.True(SpinWait.SpinUntil(() => consumer.IsInCall, TimeSpan.FromSeconds(10)), "Consume never started");

        var error = Assert.Throws<InvalidOperationException>(() => consumer.Subscribe(["payments"]));

        Assert.Contains("not thread-safe", error.Message, StringComparison.Ordinal);
        Assert.Empty(await consuming.WaitAsync(TimeSpan.FromSeconds(30)));
        consumer.Subscribe(["payments"]); // the guard is released once the first call returns
    }

    [Fact]
    public async Task Dispose_FromAnotherThreadWhileConsumeBlocks_DestroysOnlyAfterTheCallReturns()
    {
        var consumer = NoBroker.Consumer();
        consumer.Subscribe(["orders"]);
        var consuming = Task.Factory.StartNew(() => consumer.Consume(TimeSpan.FromSeconds(1)), TaskCreationOptions.LongRunning);
        Assert.True(SpinWait.SpinUntil(() => consumer.IsInCall, TimeSpan.FromSeconds(10)), "Consume never started");

        consumer.Dispose();

        // Depending on whether the call had reached librdkafka when Dispose ran, it either finishes its poll
        // (the native consumer outlives it) or is refused; it must never touch a destroyed handle.
        try
        {
            Assert.Empty(await consuming.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        catch (ObjectDisposedException)
        {
        }

        Assert.Throws<ObjectDisposedException>(() => consumer.Consume(TimeSpan.Zero));
    }

    [Fact]
    public void ShareRecord_BuiltByHand_HasNoHeadersAndNoError()
    {
        var record = new ShareRecord("orders", 3, 17, key: [1], value: null);

        Assert.Empty(record.Headers);
        Assert.False(record.IsError);
        Assert.Null(record.Owner);
        Assert.Equal("orders-3@17", record.ToString());
    }

    private static void Invoke(ShareConsumer consumer, string call)
    {
        switch (call)
        {
            case "Subscribe": consumer.Subscribe(["orders"]); break;
            case "Unsubscribe": consumer.Unsubscribe(); break;
            case "Subscription": consumer.Subscription(); break;
            case "Consume": consumer.Consume(TimeSpan.Zero); break;
            case "Acknowledge": consumer.Acknowledge(new ShareRecord("orders", 0, 0, null, null)); break;
            case "CommitSync": consumer.CommitSync(TimeSpan.Zero); break;
            case "CommitAsync": consumer.CommitAsync(); break;
            case "Close": consumer.Close(); break;
            default: throw new ArgumentOutOfRangeException(nameof(call), call, null);
        }
    }
}
