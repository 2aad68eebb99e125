namespace Wharf.Server.Share;

/// <summary>
/// The record batches of one ShareFetch partition answer: each batch once (a batch can hold both a redelivered and a
/// newly acquired offset), in offset order, concatenated. Thread-safety: none; one request's.
/// </summary>
internal sealed class BatchCollector
{
    private readonly SortedDictionary<long, ReadOnlyMemory<byte>> _batches = [];

    public void Add(long baseOffset, ReadOnlyMemory<byte> batch) => _batches.TryAdd(baseOffset, batch);

    /// <summary>The batches as one buffer; null when there are none.</summary>
    public byte[]? ToArray()
    {
        if (_batches.Count == 0)
        {
            return null;
        }

        var bytes = new byte[_batches.Values.Sum(b => b.Length)];
        var position = 0;
        foreach (var batch in _batches.Values)
        {
            batch.Span.CopyTo(bytes.AsSpan(position));
            position += batch.Length;
        }

        return bytes;
    }
}
