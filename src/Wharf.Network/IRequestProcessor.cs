using System.Buffers;

namespace Wharf.Network;

/// <summary>
/// The port between the network layer and the broker: turns one request frame into the response to send.
/// The frame is one contiguous, pooled, writable array segment that belongs to the request until the returned
/// task completes (a Produce batch is stamped with its offsets in place); a processor that keeps bytes longer must
/// copy them, and a response must not point into the frame.
/// </summary>
public interface IRequestProcessor
{
    /// <returns>The response, or null when the request gets none (Produce with acks=0).</returns>
    /// <exception cref="CloseConnectionException">The connection must be closed (logged with the reason).</exception>
    ValueTask<OutgoingResponse?> ProcessAsync(ConnectionInfo connection, ReadOnlySequence<byte> frame, CancellationToken cancellationToken);
}
