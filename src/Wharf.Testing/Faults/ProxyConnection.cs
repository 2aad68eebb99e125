using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Wharf.Testing.Faults;

/// <summary>
/// One connection through a <see cref="FaultProxy"/>: the accepted socket, the socket to the target, and two pumps
/// (source → destination, destination → source) that apply the <see cref="FaultNetwork"/>'s rule of their direction to
/// every chunk. The target is dialled at once (a refusal resets the client and tells the proxy its target is down); a
/// Kafka connection is identified by the client id of its first request before anything is forwarded to the target,
/// and its source → destination pump moves whole request frames so one API can be held.
/// <para>
/// Lifecycle: <see cref="RunAsync"/> ends when both sides have closed (an end of stream is passed on as a half-close
/// once the held bytes are out), on any socket error, or on <see cref="Abort"/>; either way both sockets are closed and
/// the connection leaves the network's registry.
/// </para>
/// Thread-safety: <see cref="Abort"/> may be called from any thread, any number of times; the rest runs on the
/// connection's own tasks.
/// </summary>
internal sealed class ProxyConnection
{
    private const int ChunkSize = 64 * 1024;
    private const int MaxFrameSize = 128 * 1024 * 1024;
    private readonly Socket _client;
    private readonly FaultProxy _proxy;
    private readonly CancellationTokenSource _aborted = new();
    private readonly Lock _lock = new();
    private Socket? _server;
    private FaultEndpoint _source;
    private volatile bool _identified;
    private bool _isAborted;

    public ProxyConnection(Socket client, FaultProxy proxy)
    {
        _client = client;
        _proxy = proxy;
        Destination = proxy.Destination;
        _source = proxy.FixedSource ?? FaultEndpoint.Clients;
    }

    /// <summary>Who opened the connection: <see cref="FaultEndpoint.Clients"/> until a Kafka connection's first request names it.</summary>
    public FaultEndpoint Source
    {
        get
        {
            lock (_lock)
            {
                return _source;
            }
        }

        private set
        {
            lock (_lock)
            {
                _source = value;
            }
        }
    }

    public FaultEndpoint Destination { get; }

    /// <summary>True once <see cref="Source"/> is known (at once for plain TCP, after the first frame for Kafka).</summary>
    public bool IsIdentified => _identified;

    private FaultNetwork Network => _proxy.Network;

    /// <summary>Resets both sides (RST) and stops the pumps; what they held is dropped.</summary>
    public void Abort()
    {
        Socket? server;
        lock (_lock)
        {
            if (_isAborted)
            {
                return;
            }

            _isAborted = true;
            server = _server;
        }

        // Sockets first: cancelling first would let a pump see its source end and pass a clean close (FIN) on.
        Reset(_client);
        if (server is not null)
        {
            Reset(server);
        }

        _aborted.Cancel();
    }

    public async Task RunAsync(CancellationToken stop)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, _aborted.Token);
        var cancellation = linked.Token;
        Task? downstream = null;
        try
        {
            _client.NoDelay = true;
            var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            lock (_lock)
            {
                _server = server;
                if (_isAborted)
                {
                    Reset(server);
                    return;
                }
            }

            try
            {
                await server.ConnectAsync(_proxy.TargetHost, _proxy.TargetPort, cancellation).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                if (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    _proxy.OnTargetRefused();
                }

                Abort();
                return;
            }

            // The destination's side runs from the start: a broker writes nothing unasked, but its end (a killed
            // process) must reach an idle client at once, as a direct connection would (liveness probes rely on it).
            downstream = PumpAsync(server, _client, upstream: false, null, cancellation);
            byte[]? first = null;
            if (_proxy.FixedSource is null)
            {
                first = await ReadFrameAsync(_client, cancellation).ConfigureAwait(false);
                if (first is null)
                {
                    server.Shutdown(SocketShutdown.Send);
                    await downstream.ConfigureAwait(false);
                    return;
                }

                Source = KafkaRequestHeader.TryRead(first, out var header) ? KafkaClientIds.SourceOf(header.ClientId) : FaultEndpoint.Clients;
            }

            _identified = true;
            Network.Register(this);
            var upstream = PumpAsync(_client, server, upstream: true, first, cancellation);
            await Task.WhenAll(upstream, downstream).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or ChannelClosedException)
        {
            Abort();
        }
        finally
        {
            if (downstream is not null)
            {
                await downstream.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            Network.Unregister(this);
            lock (_lock)
            {
                // From here on Abort is a no-op and the sockets close normally. The abort token source is not disposed: a
                // concurrent Abort may still cancel it, and without timers or wait handles it holds nothing to free.
                _isAborted = true;
                _server?.Dispose();
            }

            _client.Dispose();
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>One whole Kafka frame (size prefix included), or null at a clean end of stream before it.</summary>
    private static async Task<byte[]?> ReadFrameAsync(Socket socket, CancellationToken cancellation)
    {
        var size = new byte[4];
        if (!await ReadExactlyAsync(socket, size, allowEnd: true, cancellation).ConfigureAwait(false))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(size);
        if (length is < 0 or > MaxFrameSize)
        {
            // Not Kafka framing: forward the four bytes as they are; the broker will close on them.
            return size;
        }

        var frame = new byte[4 + length];
        size.CopyTo(frame, 0);
        await ReadExactlyAsync(socket, frame.AsMemory(4), allowEnd: false, cancellation).ConfigureAwait(false);
        return frame;
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, Memory<byte> buffer, bool allowEnd, CancellationToken cancellation)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellation).ConfigureAwait(false);
            if (n == 0)
            {
                return read == 0 && allowEnd ? false : throw new EndOfStreamException("the peer closed inside a frame");
            }

            read += n;
        }

        return true;
    }

    /// <summary>
    /// Moves bytes from <paramref name="from"/> to <paramref name="to"/>: a reader stamps each chunk with the time it
    /// may leave (never before the previous one: order is kept) into a small bounded queue, so a blackhole or delay
    /// pushes back on the sender once the queue is full; a writer waits for the stamp and for the link to pass.
    /// </summary>
    private async Task PumpAsync(Socket from, Socket to, bool upstream, byte[]? first, CancellationToken cancellation)
    {
        var queue = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        var frames = upstream && _proxy.FixedSource is null;
        var reading = ReadChunksAsync(from, queue.Writer, upstream, frames, first, cancellation);
        var writing = WriteChunksAsync(to, queue.Reader, upstream, cancellation);
        try
        {
            await writing.ConfigureAwait(false);
        }
        catch
        {
            // The reader may be blocked on a full queue: only the abort frees it.
            Abort();
            throw;
        }

        await reading.ConfigureAwait(false);
    }

    private async Task ReadChunksAsync(Socket from, ChannelWriter<Chunk> queue, bool upstream, bool frames, byte[]? first, CancellationToken cancellation)
    {
        try
        {
            var last = 0L;
            var chunk = first;
            while (true)
            {
                if (chunk is null)
                {
                    if (frames)
                    {
                        chunk = await ReadFrameAsync(from, cancellation).ConfigureAwait(false);
                    }
                    else
                    {
                        var buffer = new byte[ChunkSize];
                        var n = await from.ReceiveAsync(buffer, SocketFlags.None, cancellation).ConfigureAwait(false);
                        chunk = n == 0 ? null : buffer[..n];
                    }

                    if (chunk is null)
                    {
                        return;
                    }
                }

                var (sender, receiver) = Link(upstream);
                var rule = Network.RuleFor(sender, receiver);
                var extra = frames && chunk.Length >= 6 ? rule.ExtraDelayFor(BinaryPrimitives.ReadInt16BigEndian(chunk.AsSpan(4))) : TimeSpan.Zero;
                last = Math.Max(last, Stopwatch.GetTimestamp() + (long)((rule.Delay + extra).TotalSeconds * Stopwatch.Frequency));
                await queue.WriteAsync(new Chunk(chunk, last), cancellation).ConfigureAwait(false);
                if (frames && chunk.Length == 4)
                {
                    // Not Kafka framing (or an empty frame): the rest is forwarded as plain bytes.
                    frames = false;
                }

                chunk = null;
            }
        }
        finally
        {
            queue.TryComplete();
        }
    }

    private async Task WriteChunksAsync(Socket to, ChannelReader<Chunk> queue, bool upstream, CancellationToken cancellation)
    {
        await foreach (var chunk in queue.ReadAllAsync(cancellation).ConfigureAwait(false))
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), chunk.ReleaseAt);
            if (wait > TimeSpan.Zero)
            {
                // Simulated latency on the wire, not synchronisation.
                await Task.Delay(wait, cancellation).ConfigureAwait(false);
            }

            await WaitWhileBlackholedAsync(upstream, cancellation).ConfigureAwait(false);
            var sent = 0;
            while (sent < chunk.Bytes.Length)
            {
                sent += await to.SendAsync(chunk.Bytes.AsMemory(sent), SocketFlags.None, cancellation).ConfigureAwait(false);
            }
        }

        // The sender closed its side and everything it sent is out: pass the half-close on (unless aborted meanwhile).
        cancellation.ThrowIfCancellationRequested();
        to.Shutdown(SocketShutdown.Send);
    }

    /// <summary>The direction's link: source → destination upstream, destination → source downstream.</summary>
    private (FaultEndpoint Sender, FaultEndpoint Receiver) Link(bool upstream) => upstream ? (Source, Destination) : (Destination, Source);

    private async Task WaitWhileBlackholedAsync(bool upstream, CancellationToken cancellation)
    {
        while (true)
        {
            var changed = Network.Changed;
            var (sender, receiver) = Link(upstream);
            if (!Network.RuleFor(sender, receiver).Blackholed)
            {
                return;
            }

            await changed.WaitAsync(cancellation).ConfigureAwait(false);
        }
    }

    private readonly record struct Chunk(byte[] Bytes, long ReleaseAt);
}
