using BenchmarkDotNet.Attributes;
using Wharf.Records;

namespace Wharf.Benchmarks;

/// <summary>Validating a 1 MiB uncompressed batch of 1 KiB records: header + CRC only, and the full record walk.</summary>
[MemoryDiagnoser]
public class RecordBatchValidationBenchmarks
{
    private byte[] _batch = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var builder = new RecordBatchBuilder();
        var value = new byte[1000];
        random.NextBytes(value);
        while (builder.UncompressedRecordBytes < (1 << 20) - 1100)
        {
            builder.Append(1_700_000_000_000, [1, 2, 3, 4], value);
        }

        _batch = builder.ToArray();
        if (RecordBatchValidator.Validate(_batch, 0, out _) != RecordBatchError.None)
        {
            throw new InvalidOperationException("The benchmark batch is invalid.");
        }
    }

    [Benchmark(Baseline = true)]
    public RecordBatchError ValidateHeader() => RecordBatchValidator.ValidateHeader(_batch, out _);

    [Benchmark]
    public RecordBatchError ValidateFull() => RecordBatchValidator.Validate(_batch, 0, out _);
}
