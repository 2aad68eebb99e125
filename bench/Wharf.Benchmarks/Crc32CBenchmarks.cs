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

    /// <summary>The previous implementation: one CRC32 instruction chain, bounded by its latency.</summary>
    [Benchmark(Baseline = true)]
    public uint SingleLane()
    {
        var state = ~0u;
        var longs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(_data);
        foreach (var value in longs)
        {
            state = System.Numerics.BitOperations.Crc32C(state, value);
        }

        foreach (var b in _data.AsSpan(longs.Length * sizeof(ulong)))
        {
            state = System.Numerics.BitOperations.Crc32C(state, b);
        }

        return ~state;
    }
}
