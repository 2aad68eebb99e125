namespace Wharf.Records;

/// <summary>A header to write with a record: a string key (never null) and a value that may be null.</summary>
public readonly record struct RecordHeaderEntry(string Key, ReadOnlyMemory<byte>? Value)
{
    /// <summary>
    /// From an array, keeping null distinct from empty (a null array converted to
    /// <see cref="ReadOnlyMemory{T}"/> would become an empty, non-null value).
    /// </summary>
    public RecordHeaderEntry(string key, byte[]? value)
        : this(key, RecordBatchBuilder.AsNullableMemory(value))
    {
    }
}
