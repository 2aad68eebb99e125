using FsCheck.Xunit;

namespace Wharf.Records.Tests;

/// <summary>FsCheck properties; on failure FsCheck prints the replay seed and the shrunk counterexample.</summary>
public class RecordBatchProperties
{
    [Property(MaxTest = 300)]
    public bool AnyRecordsBuiltWithAnyCodec_ValidateAndReadBack(byte[]?[] keys, byte[]?[] values, long timestamp, byte codec)
    {
        var compression = TestBatches.AllCodecs[codec % TestBatches.AllCodecs.Length];
        var builder = new RecordBatchBuilder(compression);
        var count = Math.Min(keys.Length, values.Length);
        for (var i = 0; i < count; i++)
        {
            builder.Append(timestamp + i, keys[i], values[i], new RecordHeaderEntry("i", [(byte)i]));
        }

        var batch = builder.ToArray();
        if (RecordBatchValidator.Validate(batch, 1 << 22, out var header) != RecordBatchError.None || header.RecordCount != count)
        {
            return false;
        }

        RecordBatchReader.TryOpen(batch, 1 << 22, out var reader);
        using (reader)
        {
            var i = 0;
            foreach (var record in reader)
            {
                if (record.IsKeyNull != (keys[i] is null) || !record.Key.SequenceEqual(keys[i] ?? [])
                    || record.IsValueNull != (values[i] is null) || !record.Value.SequenceEqual(values[i] ?? [])
                    || record.Timestamp != timestamp + i || record.Headers.Count != 1)
                {
                    return false;
                }

                i++;
            }

            return i == count;
        }
    }

    [Property(MaxTest = 2000)]
    public bool AnyBytes_ValidateReturnsWithoutThrowing(byte[] bytes)
    {
        var error = RecordBatchValidator.Validate(bytes, 4096, out _);
        return error != RecordBatchError.None || bytes.Length >= RecordBatchLayout.HeaderSize;
    }
}
