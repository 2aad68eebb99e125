using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Wharf.Client;
using Wharf.Testing;
using static Wharf.Queue.Tests.QueueFixture;

namespace Wharf.Queue.Tests;

/// <summary>
/// A share consumer in its own process is killed with SIGKILL while it holds acquired records: after their locks
/// expire another consumer gets exactly those records (delivery count 2), never the ones the killed consumer had
/// accepted, and nothing is lost.
/// </summary>
public sealed class KilledConsumerTests
{
    [Fact]
    public async Task AConsumerKilledMidBatch_ItsAcquiredRecordsGoToAnotherAfterTheLockExpires()
    {
        await using var broker = await WharfBroker.StartAsync(ShortLocks);
        await broker.CreateTopicAsync("jobs");
        await SetGroupConfigsAsync(broker.BootstrapServers, "pool", ("share.auto.offset.reset", "earliest"), ("share.record.lock.duration.ms", "2000"));
        await ProduceAsync(broker.BootstrapServers, "jobs", 200);

        var (accepted, held) = await RunAndKillAsync(broker.BootstrapServers, "jobs", "pool", accept: 30);
        Assert.Equal(30, accepted.Count);
        Assert.NotEmpty(held);

        using var survivor = Consumer(broker.BootstrapServers, "pool", "survivor");
        survivor.Subscribe(["jobs"]);
        var received = new List<ShareRecord>();
        PollUntil(survivor, () => received.Count >= 200 - accepted.Count, record =>
        {
            survivor.Acknowledge(record, AcknowledgeType.Accept);
            received.Add(record);
        }, TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i).Except(accepted).Order(), received.Select(r => r.Offset).Order());
        Assert.All(received.Where(r => held.Contains(r.Offset)), r => Assert.Equal(2, r.DeliveryCount));
        Assert.All(received.Where(r => !held.Contains(r.Offset)), r => Assert.Equal(1, r.DeliveryCount));
    }

    /// <summary>Runs the consumer tool until it holds records, kills it, and returns what it accepted and what it held.</summary>
    private static async Task<(HashSet<long> Accepted, HashSet<long> Held)> RunAndKillAsync(string bootstrap, string topic, string group, int accept)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Wharf.ShareConsumerTool.dll"));
        foreach (var argument in new[] { bootstrap, topic, group, accept.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the consumer tool");
        var lines = new BlockingCollection<string>();
        var errors = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Add(line);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                errors.Enqueue(line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var accepted = new HashSet<long>();
        var held = new HashSet<long>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            foreach (var line in lines.GetConsumingEnumerable(timeout.Token))
            {
                var parts = line.Split(' ');
                switch (parts[0])
                {
                    case "accepted":
                        accepted.Add(long.Parse(parts[2], CultureInfo.InvariantCulture));
                        break;
                    case "holding":
                        held.Add(long.Parse(parts[2], CultureInfo.InvariantCulture));
                        break;
                    case "ready":
                        process.Kill();
                        await process.WaitForExitAsync();
                        return (accepted, held);
                }
            }
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"the consumer tool held nothing within 60 s; stderr: {string.Join(" | ", errors)}");
        }

        throw new InvalidOperationException($"the consumer tool exited with {process.ExitCode}: {string.Join(" | ", errors)}");
    }
}
