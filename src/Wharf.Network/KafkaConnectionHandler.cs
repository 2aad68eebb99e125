using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wharf.Protocol;
using Wharf.Protocol.Codec;

namespace Wharf.Network;

/// <summary>
/// Serves one Kafka listener under Kestrel. Per connection, requests are processed one at a time in the
/// order they arrive and each response is written before the next request is read — so responses go out
/// in request order, as Kafka clients require, and a client that pipelines gets backpressure from the
/// pipe. Concurrency comes from connections. A bad frame or a processor's <see cref="CloseConnectionException"/>
/// closes only that connection, with a log line saying why. When the host stops, every connection is closed.
/// Thread-safety: one instance serves all connections; it holds no per-connection state.
/// </summary>
public sealed class KafkaConnectionHandler(IRequestProcessor processor, NetworkOptions options, IHostApplicationLifetime lifetime, ILogger<KafkaConnectionHandler> logger) : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var info = new ConnectionInfo(connection.ConnectionId, connection.RemoteEndPoint, connection.LocalEndPoint, options.ListenerName);

        // A stopping broker closes its connections (clients reconnect elsewhere) instead of waiting for them.
        using var closing = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, lifetime.ApplicationStopping);
        var cancellation = closing.Token;
        try
        {
            await ServeAsync(connection.Transport, info, cancellation);
        }
        catch (CloseConnectionException e)
        {
            logger.LogWarning("Closing connection {Connection} from {Remote}: {Reason}", info.Id, info.RemoteEndPoint, e.Message);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
        }
        catch (ConnectionResetException)
        {
        }
        catch (IOException e)
        {
            logger.LogDebug(e, "Connection {Connection} failed", info.Id);
        }
        finally
        {
            await connection.Transport.Input.CompleteAsync();
            await connection.Transport.Output.CompleteAsync();
        }
    }

    private async Task ServeAsync(IDuplexPipe transport, ConnectionInfo info, CancellationToken cancellation)
    {
        var input = transport.Input;
        while (true)
        {
            var read = await input.ReadAsync(cancellation);
            var buffer = read.Buffer;
            try
            {
                while (true)
                {
                    var result = FrameReader.TryRead(ref buffer, options.MaxRequestBytes, out var frame, out var size);
                    if (result == FrameReader.Result.InvalidSize)
                    {
                        throw new CloseConnectionException($"frame size {size} is negative or above socket.request.max.bytes ({options.MaxRequestBytes})");
                    }

                    if (result == FrameReader.Result.Incomplete)
                    {
                        break;
                    }

                    var response = await processor.ProcessAsync(info, frame, cancellation);
                    if (response is not null)
                    {
                        await WriteAsync(transport.Output, response, cancellation);
                    }
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (read.IsCompleted || read.IsCanceled)
            {
                return;
            }
        }
    }

    private static async ValueTask WriteAsync(PipeWriter output, OutgoingResponse response, CancellationToken cancellation)
    {
        try
        {
            Encode(output, response);
        }
        finally
        {
            response.AfterWrite?.Invoke();
        }

        var flush = await output.FlushAsync(cancellation);
        if (flush.IsCompleted)
        {
            throw new CloseConnectionException("the client stopped reading");
        }
    }

    /// <summary>Writes size, header and body; the size is computed first so nothing is written twice.</summary>
    public static void Encode(IBufferWriter<byte> output, OutgoingResponse response)
    {
        var header = new ResponseHeader { CorrelationId = response.CorrelationId };
        var size = header.ComputeSize(response.HeaderVersion) + response.Body.ComputeSize(response.Version);
        BinaryPrimitives.WriteInt32BigEndian(output.GetSpan(4), size);
        output.Advance(4);
        var writer = new KafkaWriter(output);
        header.Write(ref writer, response.HeaderVersion);
        response.Body.Write(ref writer, response.Version);
        writer.Flush();
    }
}
