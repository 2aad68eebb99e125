using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Wharf.Metadata;

namespace Wharf.Server;

/// <summary>
/// Fast failure detection for kill -9 (Redpanda detects a dead node in about a second; a session lease alone takes
/// <c>broker.session.timeout.ms</c>): while this node is the active controller it holds one idle TCP connection to
/// every other unfenced broker. A Kafka broker never writes unasked, so the connection only ends when the peer closes
/// it — its process died (the kernel resets its sockets), it shut down, or it closed an idle connection. The probe then
/// connects again: a connection <i>refused</i> means nothing listens on that port any more — the process is gone — and
/// is reported to <see cref="ControllerService.ReportDead"/>, which fences the broker now. Anything else (a timeout, a
/// network partition, a paused process) proves nothing and is left to the session timeout.
/// Thread-safety: one loop decides which brokers to watch; each watch runs on its own task.
/// </summary>
public sealed class BrokerLivenessProbe : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Rescan = TimeSpan.FromMilliseconds(500);

    private readonly Controller _controller;
    private readonly ControllerService _service;
    private readonly string _listenerName;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<(int Broker, Guid Incarnation), CancellationTokenSource> _watches = [];
    private readonly Task _loop;

    public BrokerLivenessProbe(Controller controller, ControllerService service, string listenerName, TimeProvider time, ILogger logger)
    {
        _controller = controller;
        _service = service;
        _listenerName = listenerName;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var watch in _watches.Values)
        {
            await watch.CancelAsync().ConfigureAwait(false);
            watch.Dispose();
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            var image = _controller.Current;
            var wanted = _controller.IsActive
                ? image.Brokers.Values.Where(b => !b.Fenced && b.NodeId != _controller.Config.NodeId).ToDictionary(b => (b.NodeId, b.IncarnationId))
                : [];
            foreach (var key in _watches.Keys.Where(k => !wanted.ContainsKey(k)).ToList())
            {
                await _watches[key].CancelAsync().ConfigureAwait(false);
                _watches[key].Dispose();
                _watches.Remove(key);
            }

            foreach (var (key, broker) in wanted.Where(w => !_watches.ContainsKey(w.Key)))
            {
                var endpoint = broker.Endpoints.FirstOrDefault(e => e.Name == _listenerName) ?? broker.Endpoints.FirstOrDefault();
                if (endpoint is null)
                {
                    continue;
                }

                var watch = CancellationTokenSource.CreateLinkedTokenSource(token);
                _watches[key] = watch;
                _ = WatchAsync(key.NodeId, key.IncarnationId, endpoint.Host, endpoint.Port, watch.Token);
            }

            await Task.Delay(Rescan, _time, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task WatchAsync(int brokerId, Guid incarnationId, string host, int port, CancellationToken token)
    {
        var buffer = new byte[1];
        while (!token.IsCancellationRequested)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(token))
                {
                    connect.CancelAfter(ConnectTimeout);
                    await socket.ConnectAsync(host, port, connect.Token).ConfigureAwait(false);
                }

                // Returns (0 bytes or a reset) only when the broker's side closes; then look again at once.
                await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
                continue;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                _service.ReportDead(brokerId, incarnationId);
                return;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // Reset, unreachable or slow: no proof of death; the session timeout decides.
                _logger.LogDebug("Liveness probe of broker {Broker} at {Host}:{Port}: {Message}", brokerId, host, port, e.Message);
            }

            await Task.Delay(RetryDelay, _time, token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
