using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wharf.Protocol;
using Wharf.Protocol.Codec;

namespace Wharf.Network;

/// <summary>
/// Serves one Kafka listener under Kestrel. Per connection, responses go out in request order, as Kafka
/// clients require. Requests are processed one at a time in arrival order, except Produce, whose appends are
/// issued in order while their fsyncs are awaited together (see <see cref="ServeAsync"/>). A bad frame or a processor's <see cref="CloseConnectionException"/>
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

    /// <summary>
    /// Two loops per connection: the reader takes frames off the input and starts each request, the writer
    /// awaits the started requests in arrival order and writes their responses. A pipelined request (Produce)
    /// lets the reader go on to the next frame at once, so several appends from one connection can share one
    /// group-commit fsync; any other request is awaited before the next frame is read. The channel between
    /// them is bounded by <see cref="NetworkOptions.MaxInFlightRequests"/>, which gives a client backpressure.
    /// A failure on either side stops both and closes the connection.
    /// </summary>
    private async Task ServeAsync(IDuplexPipe transport, ConnectionInfo info, CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var started = Channel.CreateBounded<Task<OutgoingResponse?>>(new BoundedChannelOptions(options.MaxInFlightRequests)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var writer = WriteResponsesAsync(transport.Output, started.Reader, stop);
        try
        {
            await ReadRequestsAsync(transport.Input, info, started.Writer, stop.Token);
        }
        catch (OperationCanceledException) when (writer.IsFaulted)
        {
            // The writer failed first; its exception is the reason the connection closes.
        }
        catch
        {
            started.Writer.TryComplete();
            await stop.CancelAsync();
            await writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        started.Writer.TryComplete();
        await writer;
    }

    private async Task ReadRequestsAsync(PipeReader input, ConnectionInfo info, ChannelWriter<Task<OutgoingResponse?>> started, CancellationToken cancellation)
    {
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

                    var pipelined = PeekApiKey(frame) is { } key && options.PipelinedApis.Contains(key);
                    var request = processor.ProcessAsync(info, frame, cancellation).AsTask();
                    await started.WriteAsync(request, cancellation);
                    if (!pipelined)
                    {
                        // The frame's memory stays valid until this request completes.
                        await ((Task)request).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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

    private static async Task WriteResponsesAsync(PipeWriter output, ChannelReader<Task<OutgoingResponse?>> started, CancellationTokenSource stop)
    {
        try
        {
            while (await started.WaitToReadAsync(stop.Token))
            {
                while (started.TryRead(out var request))
                {
                    if (await request is not { } response)
                    {
                        continue;
                    }

                    try
                    {
                        Encode(output, response);
                    }
                    finally
                    {
                        response.AfterWrite?.Invoke();
                    }

                    // One flush (one send) for every response that is already complete.
                    if (started.TryPeek(out var next) && next.IsCompleted)
                    {
                        continue;
                    }

                    var flush = await output.FlushAsync(stop.Token);
                    if (flush.IsCompleted)
                    {
                        throw new CloseConnectionException("the client stopped reading");
                    }
                }
            }
        }
        catch
        {
            await stop.CancelAsync();
            throw;
        }
    }

    private static ApiKey? PeekApiKey(ReadOnlySequence<byte> frame)
    {
        if (frame.Length < 2)
        {
            return null;
        }

        Span<byte> key = stackalloc byte[2];
        frame.Slice(0, 2).CopyTo(key);
        return (ApiKey)BinaryPrimitives.ReadInt16BigEndian(key);
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
