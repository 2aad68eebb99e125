using Microsoft.Extensions.Logging;
using Wharf.Protocol;

namespace Wharf.Network.Tests;

/// <summary>An oversized frame or a processor's close request closes only that connection, with a warning saying why.</summary>
public sealed class KafkaListenerCloseTests
{
    private const int MaxRequestBytes = 4096;

    [Fact]
    public async Task FrameAboveMaxRequestBytes_ClosesOnlyThatConnection()
    {
        var processor = new ScriptedProcessor();
        var logs = new CapturingLoggerFactory();
        await using (var listener = Exchange.Listen(processor, new NetworkOptions { MaxRequestBytes = MaxRequestBytes }, logs))
        {
            using var good = await Loopback.ConnectAsync(listener.LocalEndPoint);
            await Exchange.RoundTripAsync(good, 1);
            using var bad = await Loopback.ConnectAsync(listener.LocalEndPoint);

            // Only the size prefix: the connection must close without waiting for a body.
            await bad.SendAllAsync(Frames.Prefix(MaxRequestBytes + 1));

            Assert.Equal(0, await bad.ReceiveUntilClosedAsync());
            Assert.Equal(1, processor.Requests);
            await Exchange.RoundTripAsync(good, 2);
            await good.SendAllAsync(Frames.Request(ApiKey.Metadata, 3, Frames.Payload(MaxRequestBytes - 8, 3)));
            var atLimit = await good.ReadFrameAsync();
            Assert.NotNull(atLimit);
            Assert.Equal(Frames.Payload(MaxRequestBytes - 8, 3), atLimit[4..]);
        }

        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains($"frame size {MaxRequestBytes + 1}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProcessorAskingToClose_ClosesOnlyThatConnection_WithAWarningSayingWhy()
    {
        const int closes = 1000;
        var processor = new ScriptedProcessor();
        var logs = new CapturingLoggerFactory();
        await using (var listener = Exchange.Listen(processor, loggerFactory: logs))
        {
            using var good = await Loopback.ConnectAsync(listener.LocalEndPoint);
            await Exchange.RoundTripAsync(good, 1);

            // Repeated: the close passes between the connection's reader and writer loops, which race.
            for (var i = 0; i < closes; i++)
            {
                using var bad = await Loopback.ConnectAsync(listener.LocalEndPoint);
                await bad.SendAllAsync(Frames.Request(ApiKey.Metadata, 100 + i, ScriptedProcessor.CloseMarker));
                Assert.Equal(0, await bad.ReceiveUntilClosedAsync());
            }

            await Exchange.RoundTripAsync(good, 2);
        }

        // Disposing waited for every connection loop, so every log line that will ever be written is.
        var missing = Enumerable.Range(100, closes)
            .Where(id => !logs.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains($"scripted close of request {id}", StringComparison.Ordinal)))
            .ToList();
        Assert.True(missing.Count == 0, $"no warning with the reason for the close of request(s) {string.Join(", ", missing)} of {closes}");
    }
}
