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
/// is closed (<see cref="IdleConnectionTimer"/>).
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

        started.Writer.TryComplete();
        await writer.ConfigureAwait(false);
    }

    private async Task ReadRequestsAsync(ChannelWriter<Task<OutgoingResponse?>> started, CancellationToken cancellation)
    {
        using var receiver = new FrameReceiver(socket, options.MaxRequestBytes);
        while (await receiver.ReceiveAsync(cancellation).ConfigureAwait(false) is { } frame)
        {
            _idle?.RequestStarted();
            var pipelined = PeekApiKey(frame) is { } key && options.PipelinedApis.Contains(key);
            var request = ProcessAsync(frame, cancellation);
            await started.WriteAsync(request, cancellation).ConfigureAwait(false);
            if (!pipelined)
            {
                await ((Task)request).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

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
