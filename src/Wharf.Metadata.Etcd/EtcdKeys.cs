using System.Globalization;
using System.Text;
using Google.Protobuf;

namespace Wharf.Metadata.Etcd;

/// <summary>
/// The key scheme under the cluster's prefix (all values are bytes; the ones meant for people are UTF-8 JSON):
/// <code>
/// &lt;prefix&gt;/cluster-id                     the cluster id, created once by the first broker (create-if-absent)
/// &lt;prefix&gt;/log/&lt;offset, 20 digits&gt;          one committed metadata batch at its base offset (MetadataBatchCodec),
///                                        written once (create-if-absent) in a txn fenced by the controller's key
/// &lt;prefix&gt;/snapshot/manifest                the newest snapshot: offset, chunk count, byte count, SHA-256 (JSON),
///                                        written after all its chunks
/// &lt;prefix&gt;/snapshot/&lt;offset, 20&gt;/&lt;chunk, 6&gt;   the snapshot's bytes (MetadataBatchCodec), &lt; 1 MiB per chunk
/// &lt;prefix&gt;/controller/&lt;lease id, hex&gt;        an election candidate (etcd's election API); value = node id; the
///                                        oldest key (lowest create revision) is the controller, that revision its epoch
/// &lt;prefix&gt;/brokers/&lt;node id&gt;                a live broker registration (JSON), attached to its session lease
/// </code>
/// Zero-padded offsets make key order offset order, so a range read replays the log in order.
/// Thread-safety: immutable.
/// </summary>
internal sealed class EtcdKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public ByteString ClusterId => Key("/cluster-id");

    public ByteString LogPrefix => Key("/log/");

    public ByteString SnapshotManifest => Key("/snapshot/manifest");

    public ByteString SnapshotChunksBefore(long offset) => Key($"/snapshot/{Offset(offset)}");

    public ByteString SnapshotChunksPrefix => Key("/snapshot/0");

    public ByteString BrokersPrefix => Key("/brokers/");

    /// <summary>The election name for etcd's election API; candidates are keys under it plus '/'.</summary>
    public ByteString ElectionName => Key("/controller");

    public ByteString ElectionPrefix => Key("/controller/");

    public ByteString Log(long offset) => Key($"/log/{Offset(offset)}");

    public ByteString SnapshotChunkPrefix(long offset) => Key($"/snapshot/{Offset(offset)}/");

    public ByteString SnapshotChunk(long offset, int chunk) =>
        Key($"/snapshot/{Offset(offset)}/{chunk.ToString("D6", CultureInfo.InvariantCulture)}");

    public ByteString Broker(int nodeId) => Key($"/brokers/{nodeId.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The offset in a log key.</summary>
    public long OffsetOf(ByteString logKey) =>
        long.Parse(logKey.Span[LogPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>The end of the range of every key starting with <paramref name="prefix"/> (etcd's prefix range end).</summary>
    public static ByteString RangeEnd(ByteString prefix)
    {
        var bytes = prefix.ToByteArray();
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }

        return ByteString.CopyFrom(0);
    }

    private static string Offset(long offset) => offset.ToString("D20", CultureInfo.InvariantCulture);

    private ByteString Key(string suffix) => ByteString.CopyFrom(Encoding.UTF8.GetBytes(Prefix + suffix));
}
