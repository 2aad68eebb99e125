using Microsoft.Extensions.Time.Testing;
using Wharf.Protocol;

namespace Wharf.Network.Tests;

/// <summary><c>connections.max.idle.ms</c>: a connection with nothing going on for that long is closed; activity keeps it.</summary>
public sealed class IdleConnectionTests
{
    private static readonly TimeSpan MaxIdle = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Connection_IdleForConnectionsMaxIdle_IsClosed_WhileAnActiveOneStaysOpen()
    {
        var time = new FakeTimeProvider();
        await using var listener = Exchange.Listen(new ScriptedProcessor(), new NetworkOptions { ConnectionsMaxIdle = MaxIdle, Time = time });
        using var client = await Loopback.ConnectAsync(listener.LocalEndPoint);
        await Exchange.RoundTripAsync(client, 1);

        time.Advance(TimeSpan.FromMinutes(9));
        await Exchange.RoundTripAsync(client, 2);
        time.Advance(TimeSpan.FromMinutes(9));
        await Exchange.RoundTripAsync(client, 3); // 18 minutes old, but never idle for 10

        time.Advance(MaxIdle);

        Assert.Equal(0, await client.ReceiveUntilClosedAsync());
    }

    [Fact]
    public async Task Connection_WithARequestInProgress_IsNotClosedForIdleness()
    {
        var time = new FakeTimeProvider();
        var processor = new ScriptedProcessor();
        await using var listener = Exchange.Listen(processor, new NetworkOptions { ConnectionsMaxIdle = MaxIdle, Time = time });
        using var client = await Loopback.ConnectAsync(listener.LocalEndPoint);
        var held = processor.Hold(7);
        await Exchange.SendAsync(client, ApiKey.Metadata, 7);
        await processor.WhenStarted(7);

        time.Advance(MaxIdle * 3);
        held.SetResult();

        await Exchange.ExpectResponseAsync(client, 7);
    }
}
