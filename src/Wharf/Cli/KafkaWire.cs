using System.Globalization;
using System.Net.Sockets;
using Wharf.Server.Forwarding;

namespace Wharf.Cli;

/// <summary>
/// Raw Kafka-protocol connections, for what Confluent's AdminClient cannot ask (share groups, a per-broker probe).
/// Every call is bounded by <see cref="Admin.Timeout"/>; failures become <see cref="CliException"/>s that name the
/// address. Thread-safety: stateless.
/// </summary>
internal static class KafkaWire
{
    /// <summary>Connects to the first bootstrap server that accepts the connection.</summary>
    public static async Task<BrokerConnection> ConnectBootstrapAsync(string bootstrap, CancellationToken cancellationToken)
    {
        CliException? last = null;
        foreach (var address in bootstrap.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = address.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                throw new CliException($"bootstrap server '{address}' is not host:port");
            }

            try
            {
                return await ConnectAsync(address[..colon].Trim('[', ']'), port, cancellationToken);
            }
            catch (CliException e)
            {
                last = e;
            }
        }

        throw last ?? new CliException("no bootstrap servers given");
    }

    public static async Task<BrokerConnection> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Admin.Timeout);
        try
        {
            return await BrokerConnection.ConnectAsync(host, port, "wharf-cli", timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new CliException($"no answer from {host}:{port} within {Admin.Timeout.TotalSeconds:0} s ({e.Message})");
        }
    }

    /// <summary>Sends one request and waits at most <see cref="Admin.Timeout"/> for its response.</summary>
    public static async Task<TResponse> SendAsync<TRequest, TResponse>(BrokerConnection connection, TRequest request, short version, CancellationToken cancellationToken)
        where TRequest : Wharf.Protocol.IRequestMessage, Wharf.Protocol.IApiMessage<TRequest>
        where TResponse : Wharf.Protocol.IApiMessage<TResponse>
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Admin.Timeout);
        try
        {
            return await connection.SendAsync<TRequest, TResponse>(request, version, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new CliException($"{TRequest.Api} v{version} failed: {e.Message}");
        }
    }
}
