using Wharf.LoadGen;

namespace Wharf.Benchmarks.Tests;

/// <summary>The disk ceiling asks fio for the sync the mode names and reads bandwidth and fsync latency back.</summary>
public sealed class DiskCeilingTests
{
    [Theory]
    [InlineData(DiskMode.Buffered, "--end_fsync=0")]
    [InlineData(DiskMode.SyncAtEnd, "--end_fsync=1")]
    [InlineData(DiskMode.SyncEachBlock, "--fsync=1")]
    public void Arguments_SyncAsTheModeSays(DiskMode mode, string sync)
    {
        var arguments = DiskCeiling.Arguments("/data/f", 1 << 30, 1 << 20, mode).ToList();

        Assert.Contains(sync, arguments);
        Assert.Contains("--bs=1048576", arguments);
        Assert.Contains("--fallocate=none", arguments);
        Assert.Single(arguments, a => a.Contains("sync=", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_ReadsBandwidthAndSyncMedian_SkippingLeadingNotes()
    {
        const string output = """
            note: a line fio printed first
            {"jobs": [{"write": {"io_bytes": 2097152, "bw_bytes": 500000000},
                       "sync": {"lat_ns": {"percentile": {"50.000000": 1500000}}}}]}
            """;

        var sample = DiskCeiling.Parse(output, DiskMode.SyncEachBlock);

        Assert.Equal(2097152, sample.Bytes);
        Assert.Equal(500.0, sample.MegabytesPerSecond);
        Assert.Equal(1.5, sample.SyncP50Ms);
    }

    [Theory]
    [InlineData(100, 1_000_000)]
    [InlineData(1024, 1_000_000)]
    [InlineData(4096, 250_000)]
    public void MessagesFor_LargerMessagesSendTheBytesOfA1KiBRun(int size, long expected)
    {
        Assert.Equal(expected, new CompareOptions().MessagesFor(size));
    }
}
