using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// Asks one particular broker for Metadata (API 3, v4) over its own TCP connection. A Kafka client picks the broker it
/// asks itself, and Confluent.Kafka's metadata has no controller id, so it cannot say what <em>this</em> broker reports
/// right now; the cluster benchmark needs exactly that. v4 is the oldest version with <c>allow_auto_topic_creation</c>, sent as false
/// so that polling for a topic a broker has not learned yet never creates it. The connection is opened on first use
/// and after any failure (a killed broker, a restart on the same port).
/// Thread-safety: one caller at a time (one request in flight per connection).
/// </summary>
public sealed class MetadataProbe(string host, int port) : IDisposable
{
    private const short MetadataApiKey = 3;
    private const short MetadataVersion = 4;
    private static readonly byte[] ClientId = Encoding.UTF8.GetBytes("wharf-loadgen-probe");

    private TcpClient? _client;
    private NetworkStream? _stream;
    private int _correlationId;

    public string Endpoint => $"{host}:{port}";

    /// <summary>
    /// The broker's answer for <paramref name="topics"/> (null: every topic; empty: none, only brokers and controller),
    /// or null when it cannot be reached or does not answer within <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<MetadataView?> TryGetAsync(IReadOnlyCollection<string>? topics, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (_stream is null)
            {
                _client = new TcpClient { NoDelay = true };
                await _client.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
                _stream = _client.GetStream();
            }

            var correlationId = ++_correlationId;
            await _stream.WriteAsync(EncodeRequest(correlationId, topics), deadline.Token).ConfigureAwait(false);
            var sizeBytes = new byte[4];
            await _stream.ReadExactlyAsync(sizeBytes, deadline.Token).ConfigureAwait(false);
            var body = new byte[BinaryPrimitives.ReadInt32BigEndian(sizeBytes)];
            await _stream.ReadExactlyAsync(body, deadline.Token).ConfigureAwait(false);
            return MetadataView.Decode(body, correlationId);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Close();
            return null;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or FormatException)
        {
            Close();
            return null;
        }
    }

    public void Dispose() => Close();

    /// <summary>Size-prefixed request: header v1 (api key, version, correlation id, client id) and the v4 body.</summary>
    public static byte[] EncodeRequest(int correlationId, IReadOnlyCollection<string>? topics)
    {
        var names = topics?.Select(Encoding.UTF8.GetBytes).ToList();
        var size = 2 + 2 + 4 + 2 + ClientId.Length + 4 + (names?.Sum(n => 2 + n.Length) ?? 0) + 1;
        var buffer = new byte[4 + size];
        var span = buffer.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, size);
        BinaryPrimitives.WriteInt16BigEndian(span[4..], MetadataApiKey);
        BinaryPrimitives.WriteInt16BigEndian(span[6..], MetadataVersion);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], correlationId);
        BinaryPrimitives.WriteInt16BigEndian(span[12..], (short)ClientId.Length);
        ClientId.CopyTo(span[14..]);
        var at = 14 + ClientId.Length;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], names?.Count ?? -1);
        at += 4;
        foreach (var name in names ?? [])
        {
            BinaryPrimitives.WriteInt16BigEndian(span[at..], (short)name.Length);
            name.CopyTo(span[(at + 2)..]);
            at += 2 + name.Length;
        }

        span[at] = 0; // allow_auto_topic_creation = false
        return buffer;
    }

    private void Close()
    {
        _stream?.Dispose();
        _client?.Dispose();
        _stream = null;
        _client = null;
    }
}
