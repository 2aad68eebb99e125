using System.Security.Cryptography;
using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;

namespace Wharf.Metadata.Etcd;

/// <summary>
/// Metadata snapshots in etcd. A snapshot's bytes (<see cref="MetadataBatchCodec"/>) are split into chunks of
/// <see cref="EtcdMetadataOptions.SnapshotChunkBytes"/> (&lt; 1 MiB; etcd refuses requests over ~1.5 MiB) under
/// <c>snapshot/&lt;offset&gt;/</c>; the manifest (<c>snapshot/manifest</c>) is written last, so a reader that finds a
/// manifest finds all its chunks. Chunk puts are idempotent (same key, same bytes) and safe to retry.
/// A reader checks the chunk count, byte count and SHA-256 the manifest names; a mismatch means a newer snapshot
/// replaced this one while it read, and it reads again.
/// Thread-safety: stateless apart from the connection.
/// </summary>
internal sealed class EtcdSnapshotStore(EtcdConnection etcd)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The manifest value (JSON, readable with etcdctl).</summary>
    internal sealed record Manifest(long Offset, int Chunks, long Bytes, string Sha256);

    /// <summary>Writes the chunks of <paramref name="snapshot"/>; returns the manifest to publish.</summary>
    public async Task<Manifest> WriteChunksAsync(MetadataSnapshot snapshot, CancellationToken cancellationToken)
    {
        var bytes = MetadataBatchCodec.Encode(snapshot);
        var size = etcd.Options.SnapshotChunkBytes;
        var chunks = (bytes.Length + size - 1) / size;
        for (var i = 0; i < chunks; i++)
        {
            var key = etcd.Keys.SnapshotChunk(snapshot.Offset, i);
            var value = ByteString.CopyFrom(bytes, i * size, Math.Min(size, bytes.Length - (i * size)));
            await etcd.CallAsync("snapshot chunk put", o => etcd.Kv.PutAsync(new PutRequest { Key = key, Value = value }, o), cancellationToken)
                .ConfigureAwait(false);
        }

        return new Manifest(snapshot.Offset, chunks, bytes.Length, Convert.ToHexString(SHA256.HashData(bytes)));
    }

    public static ByteString Encode(Manifest manifest) => ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(manifest, Json));

    public static Manifest? DecodeManifest(ByteString? value) =>
        value is null || value.IsEmpty ? null : JsonSerializer.Deserialize<Manifest>(value.Span, Json)
            ?? throw new InvalidDataException("The etcd snapshot manifest is null.");

    /// <summary>The newest manifest, or null.</summary>
    public async Task<Manifest?> ReadManifestAsync(CancellationToken cancellationToken)
    {
        var response = await etcd.CallAsync("snapshot manifest get",
            o => etcd.Kv.RangeAsync(new RangeRequest { Key = etcd.Keys.SnapshotManifest }, o), cancellationToken).ConfigureAwait(false);
        return response.Kvs.Count == 0 ? null : DecodeManifest(response.Kvs[0].Value);
    }

    /// <summary>The newest snapshot, or null when none was written.</summary>
    /// <exception cref="InvalidDataException">the snapshot stays inconsistent with its manifest over several reads.</exception>
    public async Task<MetadataSnapshot?> ReadAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var manifest = await ReadManifestAsync(cancellationToken).ConfigureAwait(false);
            if (manifest is null)
            {
                return null;
            }

            var prefix = etcd.Keys.SnapshotChunkPrefix(manifest.Offset);
            var response = await etcd.CallAsync("snapshot chunks get",
                o => etcd.Kv.RangeAsync(new RangeRequest { Key = prefix, RangeEnd = EtcdKeys.RangeEnd(prefix) }, o), cancellationToken).ConfigureAwait(false);
            var bytes = response.Kvs.SelectMany(kv => kv.Value.ToByteArray()).ToArray();
            if (response.Kvs.Count == manifest.Chunks && bytes.Length == manifest.Bytes
                && Convert.ToHexString(SHA256.HashData(bytes)) == manifest.Sha256)
            {
                return MetadataBatchCodec.DecodeSnapshot(bytes);
            }
        }

        throw new InvalidDataException("The etcd metadata snapshot does not match its manifest after 5 reads.");
    }
}
