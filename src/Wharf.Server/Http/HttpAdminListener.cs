using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Wharf.Network;

namespace Wharf.Server.Http;

/// <summary>
/// The broker's HTTP listener (<c>http.listeners</c>): a deliberately small HTTP/1.1 server over a socket, one request
/// per connection (<c>Connection: close</c>), for scrapers and probes — not a web framework. A request head larger
/// than <see cref="MaxHeadBytes"/>, slower than <see cref="ReadTimeout"/> or malformed is answered 400 (or dropped);
/// no request can crash the broker. Routing is <see cref="HttpAdminRoutes"/>' job.
/// Lifecycle: <see cref="Start"/> binds (port 0 asks for a free port: read <see cref="LocalEndPoint"/>) and accepts
/// until <see cref="DisposeAsync"/>. Thread-safety: connections are served concurrently; start and dispose from one thread.
/// </summary>
public sealed class HttpAdminListener : IAsyncDisposable
{
    internal const int MaxHeadBytes = 8192;
    internal static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private readonly HttpAdminRoutes _routes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private readonly ConcurrentDictionary<Task, byte> _serving = new();
    private int _active;

    private HttpAdminListener(Socket socket, HttpAdminRoutes routes, ILogger logger)
    {
        _socket = socket;
        _routes = routes;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _accepting = AcceptAsync();
    }

    /// <summary>The bound address (with the real port when port 0 was asked for).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Binds <paramref name="endPoint"/> and starts serving.</summary>
    /// <exception cref="SocketException">The address cannot be bound (e.g. the port is in use).</exception>
    public static HttpAdminListener Start(IPEndPoint endPoint, HttpAdminRoutes routes, ILogger logger)
    {
        var socket = ListeningSocket.Open(endPoint, backlog: 64);
        try
        {
            return new HttpAdminListener(socket, routes, logger);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stops accepting and waits for the requests in flight (cancelled; a scrape in progress finishes), so none outlives the broker's managers.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _accepting.ConfigureAwait(false);
        await Task.WhenAll(_serving.Keys).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stopping.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            // A scraper or probe at a time is the norm; a flood of connections is refused rather than queued.
            if (Interlocked.Increment(ref _active) > 64)
            {
                Interlocked.Decrement(ref _active);
                client.Dispose();
                continue;
            }

            var serving = ServeAsync(client);
            _serving.TryAdd(serving, 0);
            _ = serving.ContinueWith(
                static (done, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(done, out _),
                _serving, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(ReadTimeout);
            await using var stream = new NetworkStream(client, ownsSocket: true);
            var head = await ReadHeadAsync(stream, timeout.Token).ConfigureAwait(false);
            var response = head is { } text && HttpRequestLine.TryParse(text, out var request)
                ? await _routes.RouteAsync(request, timeout.Token).ConfigureAwait(false)
                : HttpAdminResponse.Text(400, "Bad Request", "bad request\n");
            await WriteAsync(stream, response, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or was too slow: nothing to answer.
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "HTTP request failed");
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    /// <summary>The request head up to the blank line, or null when it is too large or the peer closed first.</summary>
    private static async Task<string?> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            length += read;
            var end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return Encoding.Latin1.GetString(buffer, 0, end);
            }
        }

        return null;
    }

    private static async Task WriteAsync(Stream stream, HttpAdminResponse response, CancellationToken cancellationToken)
    {
        var head = $"HTTP/1.1 {response.Status} {response.Reason}\r\nContent-Type: {response.ContentType}\r\nContent-Length: {response.Body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(response.Body, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
