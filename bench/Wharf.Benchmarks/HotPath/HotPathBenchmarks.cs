using BenchmarkDotNet.Attributes;

namespace Wharf.Benchmarks.HotPath;

/// <summary>
/// The broker hot path per request (see <see cref="HotPathOperations"/>). Allocation budgets for the same
/// operations are checked by tests/Wharf.Benchmarks.Tests (AllocationBudgets.json).
/// </summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private HotPathOperations _operations = null!;

    [GlobalSetup]
    public void Setup() => _operations = new HotPathOperations();

    [GlobalCleanup]
    public void Cleanup() => _operations.Dispose();

    [Benchmark]
    public int RequestHeaderDecode() => _operations.DecodeRequestHeader();

    [Benchmark]
    public object ProduceDecodeAndValidate1MiB() => _operations.DecodeAndValidateProduce();

    [Benchmark]
    public long LeaderAppend1MiB() => _operations.Append();

    [Benchmark]
    public int LogRead1MiB() => _operations.ReadFromLog();

    [Benchmark]
    public int FetchResponseEncode1MiB() => _operations.EncodeFetchResponse();
}
