using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Wharf.LoadGen;

/// <summary>
/// The disk's ceiling for a produce run: fio writes the same number of payload bytes, sequentially, to a new file
/// in the broker's own data directory (same file system, same fresh page-cache pages a new segment gets), in
/// blocks of <c>blockBytes</c> with <c>psync</c> and no preallocation (a log segment grows by appends too), then
/// deletes it. See <see cref="DiskMode"/> for the three ways of syncing.
/// Thread-safety: stateless; one fio process per call.
/// </summary>
public static class DiskCeiling
{
    /// <summary>Runs fio once; null (with the reason logged) when fio is missing or fails.</summary>
    public static DiskSample? Measure(string directory, long bytes, int blockBytes, DiskMode mode, Action<string> log)
    {
        var size = Math.Max(blockBytes, bytes / blockBytes * blockBytes);
        var file = Path.Combine(directory, $"disk-ceiling-{Guid.NewGuid():N}.fio");
        var info = new ProcessStartInfo("fio") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in Arguments(file, size, blockBytes, mode))
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info) ?? throw new InvalidOperationException("fio did not start");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                log($"fio exited with {process.ExitCode}: {error.Result}");
                return null;
            }

            return Parse(output.Result, mode);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            log($"no disk ceiling: fio could not run ({e.Message})");
            return null;
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>fio's command line, also shown in docs/benchmarks.md.</summary>
    public static IEnumerable<string> Arguments(string file, long size, int blockBytes, DiskMode mode)
    {
        string[] common =
        [
            "--name=wharf-disk-ceiling", $"--filename={file}", "--rw=write", $"--bs={blockBytes.ToString(CultureInfo.InvariantCulture)}",
            $"--size={size.ToString(CultureInfo.InvariantCulture)}", "--ioengine=psync", "--fallocate=none", "--unlink=1",
            "--output-format=json",
        ];
        return mode switch
        {
            DiskMode.SyncEachBlock => [.. common, "--fsync=1"],
            DiskMode.SyncAtEnd => [.. common, "--end_fsync=1"],
            _ => [.. common, "--end_fsync=0"],
        };
    }

    /// <summary>Reads bytes written, fio's bandwidth and the sync latency from fio's JSON output.</summary>
    public static DiskSample Parse(string fioJson, DiskMode mode)
    {
        // fio may print notes before the JSON document.
        using var document = JsonDocument.Parse(fioJson[fioJson.IndexOf('{', StringComparison.Ordinal)..]);
        var job = document.RootElement.GetProperty("jobs")[0];
        var write = job.GetProperty("write");
        double? syncP50Ms = null;
        if (mode == DiskMode.SyncEachBlock && job.TryGetProperty("sync", out var sync) && sync.TryGetProperty("lat_ns", out var latency)
            && latency.TryGetProperty("percentile", out var percentiles) && percentiles.TryGetProperty("50.000000", out var p50))
        {
            syncP50Ms = p50.GetDouble() / 1e6;
        }

        return new DiskSample(write.GetProperty("io_bytes").GetInt64(), write.GetProperty("bw_bytes").GetDouble() / 1e6, syncP50Ms);
    }
}

/// <summary>How the disk ceiling syncs, and which Wharf durability it is the ceiling of.</summary>
public enum DiskMode
{
    /// <summary>Lazy: buffered writes, no fsync — the most a broker that acks before its background fsync could do.</summary>
    Buffered,

    /// <summary>
    /// Strict, upper bound: buffered writes, one fsync at the end (what <c>dd conv=fsync</c> does) — every byte durable
    /// at the least cost; group commit approaches it when a round covers many requests.
    /// </summary>
    SyncAtEnd,

    /// <summary>
    /// Strict, per request: an fsync after every block (the call group commit makes once per round) — what a broker
    /// that synced each ~1 MB producer request (librdkafka's <c>batch.size</c>) on its own would reach. Group commit
    /// can beat it: a round grows with the fsync latency.
    /// </summary>
    SyncEachBlock,
}

/// <summary>One fio run: bytes written, MB/s (10^6 B), and the median fsync latency when it synced.</summary>
public sealed record DiskSample(long Bytes, double MegabytesPerSecond, double? SyncP50Ms);
