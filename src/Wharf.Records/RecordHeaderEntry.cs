namespace Wharf.Records;

/// <summary>A header to write with a record: a string key (never null) and a value that may be null.</summary>
public readonly record struct RecordHeaderEntry(string Key, ReadOnlyMemory<byte>? Value);
