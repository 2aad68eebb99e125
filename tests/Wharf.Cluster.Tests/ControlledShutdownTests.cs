using System.Collections.Concurrent;
using Confluent.Kafka;
using Wharf.Cluster.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Cluster.Tests;

/// <summary>
/// SIGTERM is a controlled shutdown: the broker unregisters and waits until it is fenced before it exits, so other
/// brokers already send clients elsewhere, and a producer writing to the partitions other brokers lead sees no error.
/// The session timeout is long here (20 s): a broker fenced by the time it exits was fenced by its shutdown, not by an
/// expired session.
/// </summary>
public sealed class ControlledShutdownTests(ITestOutputHelper output)
{
    private const int Partitions = 12;

    [RequiresToolFact(ExternalTool.Etcd)]
    public async Task Sigterm_ByTheTimeTheBrokerExits_OthersShowItsPartitionsWithoutLeader_AndAProducerToTheRestSeesNoError()
    {
        var options = TestClusters.Options();
        await using var own = await TestClusters.StartAsync(output, new WharfClusterOptions
        {
            Brokers = options.Brokers,
            Settings = options.Settings,
            SessionTimeout = TimeSpan.FromSeconds(20),
        });
        var cluster = own.Cluster;
        var controller = await cluster.ControllerIdAsync();
        var victim = cluster.NodeIds.First(n => n != controller);
        var topic = TestClusters.Name("sigterm");
        await Clients.CreateTopicAsync(cluster.BootstrapServers, topic, Partitions);
        var leaders = (await BrokerQuery.MetadataAsync(cluster.BootstrapServersOf(controller), topic)).Leaders;
        var served = leaders.Where(l => l.Value != victim).Select(l => l.Key).ToArray();
        var lost = leaders.Where(l => l.Value == victim).Select(l => l.Key).ToArray();

        // A producer that knows every broker (the victim too) keeps writing to the partitions the others lead.
        var errors = new ConcurrentQueue<string>();
        var acknowledged = new ConcurrentDictionary<int, int>();
        using var producer = Clients.Producer(cluster.BootstrapServers);
        using var stop = new CancellationTokenSource();
        var sent = 0;
        var producing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var partition = served[sent % served.Length];
                sent++;
                producer.Produce(new TopicPartition(topic, partition), new Message<string, string> { Key = "k", Value = $"v{sent}" }, report =>
                {
                    if (report.Error.IsError)
                    {
                        errors.Enqueue($"partition {partition}: {report.Error}");
                    }
                    else
                    {
                        acknowledged.AddOrUpdate(partition, 1, (_, n) => n + 1);
                    }
                });
                await Task.Delay(2);
            }
        });
        await Wait.UntilAsync(() => acknowledged.Values.Sum() >= 200, "the producer to get going", () => $"{acknowledged.Values.Sum()} acknowledged");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var exitCode = await cluster.TerminateAsync(victim);
        var shutdown = clock.Elapsed;
        var atExit = await BrokerQuery.MetadataAsync(cluster.BootstrapServersOf(controller), topic);

        Assert.Equal(0, exitCode);
        Assert.True(shutdown < TimeSpan.FromSeconds(15), $"the shutdown took {shutdown}, so long that the session may have expired instead");
        Assert.DoesNotContain(victim, atExit.Brokers);
        Assert.All(lost, p => Assert.Equal(-1, atExit.Leaders[p]));
        Assert.All(served, p => Assert.Equal(leaders[p], atExit.Leaders[p]));
        Assert.Contains(cluster.Broker(victim).Output, l => l.Contains($"Controlled shutdown: broker {victim} is fenced", StringComparison.Ordinal));

        // Keep producing a while after the exit, then everything sent must be acknowledged without a single error.
        var atStop = acknowledged.Values.Sum();
        await Wait.UntilAsync(() => acknowledged.Values.Sum() >= atStop + 200, "more acknowledgements after the shutdown", () => $"{acknowledged.Values.Sum()} acknowledged");
        await stop.CancelAsync();
        await producing;
        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        Assert.True(errors.IsEmpty, string.Join('\n', errors.Take(20)));
        Assert.Equal(sent, acknowledged.Values.Sum());
        Assert.All(served, p => Assert.Equal(acknowledged.GetValueOrDefault(p), Clients.Count(cluster.BootstrapServers, topic, p)));
        output.WriteLine($"shutdown of broker {victim} took {shutdown.TotalMilliseconds:0} ms; {sent} records acknowledged");
    }
}
