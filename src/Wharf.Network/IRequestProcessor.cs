using System.Buffers;

namespace Wharf.Network;

/// <summary>
/// The port between the network layer and the broker: turns one request frame into the response to send.
/// The frame's memory is valid only until the returned task completes; a processor that keeps bytes
/// (e.g. appends records) must copy or finish with them first.
/// </summary>
public interface IRequestProcessor
{
    /// <returns>The response, or null when the request gets none (Produce with acks=0).</returns>
    /// <exception cref="CloseConnectionException">The connection must be closed (logged with the reason).</exception>
    ValueTask<OutgoingResponse?> ProcessAsync(ConnectionInfo connection, ReadOnlySequence<byte> frame, CancellationToken cancellationToken);
}
