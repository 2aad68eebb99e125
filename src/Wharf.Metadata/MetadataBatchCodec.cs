namespace Wharf.Metadata;

/// <summary>
/// One metadata batch as bytes, in the entry format of <see cref="EmbeddedMetadataLog"/> (length, CRC-32C, base
/// offset, controller epoch, records): the same encoding wherever a batch is stored, so a store other than the local
/// file (etcd) inherits its checks. A snapshot is encoded as a batch at the snapshot's offset with epoch 0.
/// Thread-safety: stateless.
/// </summary>
public static class MetadataBatchCodec
{
    /// <summary>The bytes of <paramref name="batch"/>.</summary>
    public static byte[] Encode(MetadataBatch batch) => EmbeddedMetadataLog.EncodeEntry(batch.BaseOffset, batch.ControllerEpoch, batch.Records);

    /// <summary>The bytes of <paramref name="snapshot"/>.</summary>
    public static byte[] Encode(MetadataSnapshot snapshot) => EmbeddedMetadataLog.EncodeEntry(snapshot.Offset, 0, snapshot.Records);

    /// <summary>The batch in <paramref name="bytes"/>, which must hold exactly one valid entry.</summary>
    /// <exception cref="InvalidDataException">the bytes are short, corrupt, or hold more than one entry.</exception>
    public static MetadataBatch Decode(ReadOnlySpan<byte> bytes)
    {
        var entries = EmbeddedMetadataLog.ReadEntries(bytes, out var validLength);
        if (entries.Count != 1 || validLength != bytes.Length)
        {
            throw new InvalidDataException($"A stored metadata batch of {bytes.Length} bytes is damaged (valid entries: {entries.Count}, valid bytes: {validLength}).");
        }

        return entries[0];
    }

    /// <summary>The snapshot in <paramref name="bytes"/> (encoded by <see cref="Encode(MetadataSnapshot)"/>).</summary>
    /// <exception cref="InvalidDataException">the bytes are short, corrupt, or hold more than one entry.</exception>
    public static MetadataSnapshot DecodeSnapshot(ReadOnlySpan<byte> bytes)
    {
        var batch = Decode(bytes);
        return new MetadataSnapshot(batch.BaseOffset, batch.Records);
    }
}
