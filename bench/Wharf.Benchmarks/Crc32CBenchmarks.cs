using BenchmarkDotNet.Attributes;
using Wharf.Common;

namespace Wharf.Benchmarks;

/// <summary>CRC-32C throughput: the cost the broker pays per produced byte.</summary>
[MemoryDiagnoser]
public class Crc32CBenchmarks
{
    private byte[] _data = [];

    [Params(1 << 20)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Size];
        new Random(1).NextBytes(_data);
    }

    [Benchmark]
    public uint Compute() => Crc32C.Compute(_data);
}
