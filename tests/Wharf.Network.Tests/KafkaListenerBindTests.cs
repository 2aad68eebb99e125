using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Wharf.Network.Tests;

/// <summary>A port has one listener: a second broker binding it fails instead of sharing its connections.</summary>
public sealed class KafkaListenerBindTests
{
    [Fact]
    public async Task SecondListenerOnTheSamePort_IsRefused()
    {
        await using var first = Exchange.Listen(new ScriptedProcessor());

        var refused = Assert.Throws<SocketException>(() =>
            KafkaListener.Start(new IPEndPoint(IPAddress.Loopback, first.LocalEndPoint.Port), new ScriptedProcessor(), new NetworkOptions(), NullLoggerFactory.Instance));

        Assert.Equal(SocketError.AddressAlreadyInUse, refused.SocketErrorCode);
    }

    [Fact]
    public async Task ThePortIsFreeAgain_AfterTheListenerStops_EvenWithConnectionsInTimeWait()
    {
        int port;
        await using (var first = Exchange.Listen(new ScriptedProcessor()))
        {
            port = first.LocalEndPoint.Port;
            using var client = await Loopback.ConnectAsync(first.LocalEndPoint);
            await Exchange.RoundTripAsync(client, 1);
        }

        await using var again = KafkaListener.Start(new IPEndPoint(IPAddress.Loopback, port), new ScriptedProcessor(), new NetworkOptions(), NullLoggerFactory.Instance);
        Assert.Equal(port, again.LocalEndPoint.Port);
    }
}
