using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text;

namespace Wharf.Network.Tests;

/// <summary>
/// The port the listener serves, played by the test: echoes each request's bytes after its 8-byte header
/// (API key, version, correlation id) back under the request's correlation id. A test can hold a request until it
/// says so, wait until a request has started or finished, and ask for a connection close with <see cref="CloseMarker"/>.
/// Correlation ids are unique across a test's connections.
/// </summary>
internal sealed class ScriptedProcessor : IRequestProcessor
{
    public static readonly byte[] CloseMarker = Encoding.ASCII.GetBytes("please close");

    private readonly ConcurrentDictionary<int, TaskCompletionSource> _holds = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _started = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _finished = new();
    private readonly ConcurrentQueue<int> _finishOrder = new();
    private int _requests;
    private int _cancelled;

    public int Requests => Volatile.Read(ref _requests);

    public int Cancelled => Volatile.Read(ref _cancelled);

    public IReadOnlyList<int> FinishOrder => [.. _finishOrder];

    /// <summary>Request <paramref name="correlationId"/> (not sent yet) will wait for the returned signal.</summary>
    public TaskCompletionSource Hold(int correlationId) => Signal(_holds, correlationId);

    public Task WhenStarted(int correlationId) => Signal(_started, correlationId).Task.WaitAsync(Loopback.Timeout);

    public Task WhenFinished(int correlationId) => Signal(_finished, correlationId).Task.WaitAsync(Loopback.Timeout);

    public bool HasStarted(int correlationId) => Signal(_started, correlationId).Task.IsCompleted;

    public async ValueTask<OutgoingResponse?> ProcessAsync(ConnectionInfo connection, ReadOnlySequence<byte> frame, CancellationToken cancellationToken)
    {
        var bytes = frame.ToArray();
        var correlationId = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        Interlocked.Increment(ref _requests);
        Signal(_started, correlationId).TrySetResult();
        try
        {
            if (_holds.TryGetValue(correlationId, out var hold))
            {
                await hold.Task.WaitAsync(cancellationToken);
            }

            if (bytes.AsSpan(8).SequenceEqual(CloseMarker))
            {
                throw new CloseConnectionException($"scripted close of request {correlationId}");
            }

            return new OutgoingResponse(correlationId, 0, 0, new EchoBody(bytes[8..]));
        }
        catch (OperationCanceledException)
        {
            Interlocked.Increment(ref _cancelled);
            throw;
        }
        finally
        {
            _finishOrder.Enqueue(correlationId);
            Signal(_finished, correlationId).TrySetResult();
        }
    }

    private static TaskCompletionSource Signal(ConcurrentDictionary<int, TaskCompletionSource> signals, int correlationId) =>
        signals.GetOrAdd(correlationId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
