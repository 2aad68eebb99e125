using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Wharf.Protocol;

namespace Wharf.Network;

/// <summary>
/// Serves one Kafka client connection. Two loops: the reader takes frames off the socket and starts each request;
/// the writer awaits the started requests in arrival order (as Kafka clients require) and sends their responses,
/// every response that is already complete in one gathered send. Requests are processed one at a time in arrival
/// order, except the APIs in <see cref="NetworkOptions.PipelinedApis"/> (Produce), which let the reader go on to the
/// next frame at once, so several appends from one connection share one group-commit fsync. The channel between the
/// loops is bounded by <see cref="NetworkOptions.MaxInFlightRequests"/>, and a client that stops reading stalls the
/// writer, then the reader: backpressure. A bad frame or a processor's <see cref="CloseConnectionException"/> closes
/// only this connection, with a log line saying why. A connection idle for <see cref="NetworkOptions.ConnectionsMaxIdle"/>
/// is closed (<see cref="IdleConnectionTimer"/>). While a request runs alone the reader reads a few frames ahead, so a
/// peer's close is seen at once: the requests in progress (a parked Fetch) are cancelled and the queued ones never start.
/// Thread-safety: the two loops share only the channel and the idle timer's counters; <see cref="Close"/> may be
/// called from any thread.
/// </summary>
public sealed class KafkaConnection(Socket socket, ConnectionInfo info, IRequestProcessor processor, NetworkOptions options, ILogger logger) : IDisposable
{
    private readonly CancellationTokenSource _closing = new();
    private IdleConnectionTimer? _idle;

    /// <summary>Serves the connection until the peer closes it, it fails, or <see cref="Close"/> is called.</summary>
    public async Task RunAsync()
    {
        try
        {
            if (options.ConnectionsMaxIdle is { } maxIdle)
            {
                _idle = new IdleConnectionTimer(maxIdle, options.Time, () =>
                {
                    logger.LogDebug("Closing connection {Connection} from {Remote}: idle for connections.max.idle.ms ({MaxIdle})", info.Id, info.RemoteEndPoint, maxIdle);
                    Close();
                });
            }

            await ServeAsync(_closing.Token).ConfigureAwait(false);
        }
        catch (CloseConnectionException e)
        {
            logger.LogWarning("Closing connection {Connection} from {Remote}: {Reason}", info.Id, info.RemoteEndPoint, e.Message);
        }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested)
        {
        }
        catch (SocketException e)
        {
            logger.LogDebug(e, "Connection {Connection} failed", info.Id);
        }
        catch (ObjectDisposedException) when (_closing.IsCancellationRequested)
        {
        }
        finally
        {
            _idle?.Dispose();
            Close();
        }
    }

    /// <summary>Stops both loops and closes the socket; requests in progress finish but their responses are dropped.</summary>
    public void Close()
    {
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    public void Dispose()
    {
        Close();
        _closing.Dispose();
    }

    private async Task ServeAsync(CancellationToken cancellation)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var started = Channel.CreateBounded<Task<OutgoingResponse?>>(new BoundedChannelOptions(options.MaxInFlightRequests)
        {
            SingleReader = true,
            SingleWriter = true,
        });
        var writer = WriteResponsesAsync(started.Reader, stop);
        try
        {
            await ReadRequestsAsync(started.Writer, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested && !cancellation.IsCancellationRequested)
        {
            // The writer failed and stopped the reader: its exception (awaited here) is why the connection closes.
            started.Writer.TryComplete();
            await writer.ConfigureAwait(false);
            throw;
        }
        catch
        {
            started.Writer.TryComplete();
            await stop.CancelAsync().ConfigureAwait(false);
            await writer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        // The peer closed the connection (Kafka clients never half-close): requests still in progress, such as a Fetch
        // parked for up to its max wait, are cancelled at once rather than holding their resources for a response
        // nobody will read. What they already did stays done, as when the broker closes a connection.
        started.Writer.TryComplete();
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await writer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The cancellation above; a failure of the writer's own (a processor's close) still says why.
        }
    }

    private async Task ReadRequestsAsync(ChannelWriter<Task<OutgoingResponse?>> started, CancellationToken cancellation)
    {
        using var receiver = new FrameReceiver(socket, options.MaxRequestBytes);
        var ahead = new Queue<RequestFrame>(); // frames read while a request ran alone, oldest first
        Task<RequestFrame?>? next = null; // a receive that was in progress when that request completed
        try
        {
            while (true)
            {
                cancellation.ThrowIfCancellationRequested();
                RequestFrame? frame;
                if (ahead.Count > 0)
                {
                    frame = ahead.Dequeue();
                }
                else
                {
                    frame = next is null ? await receiver.ReceiveAsync(cancellation).ConfigureAwait(false) : await next.ConfigureAwait(false);
                    next = null;
                    if (frame is null)
                    {
                        return;
                    }
                }

                _idle?.RequestStarted();
                var pipelined = PeekApiKey(frame) is { } key && options.PipelinedApis.Contains(key);
                var request = ProcessAsync(frame, cancellation);
                await started.WriteAsync(request, cancellation).ConfigureAwait(false);
                if (pipelined)
                {
                    continue;
                }

                // The request runs alone; read on meanwhile, so that the peer's close (or a bad frame) is seen at once
                // and ends the connection instead of waiting for, say, a Fetch parked for its max wait. librdkafka
                // closing a consumer queues a FindCoordinator behind its parked Fetch, hence a few frames, not one.
                while (!request.IsCompleted)
                {
                    if (ahead.Count >= MaxFramesAhead)
                    {
                        await ((Task)request).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        break;
                    }

                    next ??= receiver.ReceiveAsync(cancellation).AsTask();
                    if (await Task.WhenAny(request, next).ConfigureAwait(false) != next)
                    {
                        break;
                    }

                    var received = await next.ConfigureAwait(false);
                    next = null;
                    if (received is null)
                    {
                        return;
                    }

                    ahead.Enqueue(received);
                }
            }
        }
        finally
        {
            while (ahead.TryDequeue(out var unstarted))
            {
                unstarted.Dispose();
            }
        }
    }

    /// <summary>
    /// How many frames the reader takes ahead of a request that runs alone: enough to see a close behind a parked
    /// Fetch, few enough that one connection cannot make us buffer much; when they are all there, reading waits.
    /// </summary>
    private const int MaxFramesAhead = 4;

    /// <summary>Runs one request; the frame goes back to the pool when the request is done with it.</summary>
    private async Task<OutgoingResponse?> ProcessAsync(RequestFrame frame, CancellationToken cancellation)
    {
        using (frame)
        {
            return await processor.ProcessAsync(info, new ReadOnlySequence<byte>(frame.Memory), cancellation).ConfigureAwait(false);
        }
    }

    private async Task WriteResponsesAsync(ChannelReader<Task<OutgoingResponse?>> started, CancellationTokenSource stop)
    {
        using var output = new ResponseWriter();
        try
        {
            while (await started.WaitToReadAsync(stop.Token).ConfigureAwait(false))
            {
                while (started.TryRead(out var request))
                {
                    OutgoingResponse? response;
                    try
                    {
                        response = await request.ConfigureAwait(false);
                    }
                    finally
                    {
                        _idle?.RequestCompleted();
                    }

                    if (response is not null)
                    {
                        output.Add(response);
                    }

                    // One send for every response that is already complete.
                    if (output.PendingBytes == 0 || (started.TryPeek(out var next) && next.IsCompleted && output.PendingBytes < MaxGatherBytes))
                    {
                        continue;
                    }

                    await SendAsync(output, stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private const int MaxGatherBytes = 8 * 1024 * 1024;

    /// <summary>The array pieces of the send in progress; the writer loop's own, reused for every send.</summary>
    private readonly List<ArraySegment<byte>> _gather = [];

    private async Task SendAsync(ResponseWriter output, CancellationToken cancellation)
    {
        try
        {
            // Array pieces go out together in one gathered sendmsg; a file piece (a Fetch's records) with sendfile.
            foreach (var piece in output.Pending)
            {
                if (piece.File is null)
                {
                    _gather.Add(piece.Bytes);
                    continue;
                }

                await SendGatheredAsync(cancellation).ConfigureAwait(false);
                await SendFileAsync(piece, cancellation).ConfigureAwait(false);
            }

            await SendGatheredAsync(cancellation).ConfigureAwait(false);
            _idle?.Active();
        }
        catch
        {
            // A send that did not finish may still read the arrays; leave them to the GC, not the pool.
            _gather.Clear();
            output.Abandon();
            throw;
        }

        output.Clear();
    }

    private async ValueTask SendGatheredAsync(CancellationToken cancellation)
    {
        if (_gather.Count == 1)
        {
            await socket.SendAsync(_gather[0].AsMemory(), SocketFlags.None, cancellation).ConfigureAwait(false);
        }
        else if (_gather.Count > 1)
        {
            await socket.SendAsync(_gather, SocketFlags.None).WaitAsync(cancellation).ConfigureAwait(false);
        }

        _gather.Clear();
    }

    /// <summary>Sends a file piece with sendfile (SendPacketsAsync waits for the socket to drain between calls).</summary>
    private async Task SendFileAsync(ResponsePiece piece, CancellationToken cancellation)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var args = new SocketAsyncEventArgs
        {
            SendPacketsElements = [new SendPacketsElement(piece.File!.File, piece.FileOffset, piece.FileLength, endOfPacket: true)],
        };
        args.Completed += (_, completed) => Complete(completed, done, piece.FileLength);
        if (!socket.SendPacketsAsync(args))
        {
            Complete(args, done, piece.FileLength);
        }

        await done.Task.WaitAsync(cancellation).ConfigureAwait(false);
    }

    private static void Complete(SocketAsyncEventArgs args, TaskCompletionSource done, int expected)
    {
        if (args.SocketError != SocketError.Success)
        {
            done.TrySetException(new SocketException((int)args.SocketError));
        }
        else if (args.BytesTransferred != expected)
        {
            done.TrySetException(new IOException($"sendfile sent {args.BytesTransferred} of {expected} bytes"));
        }
        else
        {
            done.TrySetResult();
        }

        args.Dispose();
    }

    private static ApiKey? PeekApiKey(RequestFrame frame) =>
        frame.Length < 2 ? null : (ApiKey)BinaryPrimitives.ReadInt16BigEndian(frame.Memory.Span);
}
