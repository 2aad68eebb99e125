using System.Diagnostics;

namespace Wharf.Client.Tests;

/// <summary>The drain helper's own behaviour, without a broker.</summary>
public class ShareConsumerDrainTests
{
    [Fact]
    public void Drain_ZeroRecords_ReturnsWithoutConsuming()
    {
        // Not subscribed: a Consume would throw _STATE.
        using var consumer = NoBroker.Consumer();

        Assert.Empty(consumer.Drain(0, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Drain_WhenNoRecordsArrive_ThrowsTimeoutExceptionOnceTheDeadlinePasses()
    {
        using var consumer = NoBroker.Consumer(ShareAcknowledgementMode.Explicit);
        consumer.Subscribe(["orders"]);
        var deadline = TimeSpan.FromMilliseconds(400);

        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<TimeoutException>(() => consumer.Drain(3, deadline));
        clock.Stop();

        Assert.Contains("Drained 0 of 3", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= deadline, $"gave up after {clock.Elapsed}, before the deadline");
        Assert.True(clock.Elapsed < deadline + TimeSpan.FromSeconds(10), $"gave up only after {clock.Elapsed}");
    }
}
