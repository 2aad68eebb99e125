using System.CommandLine;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Wharf.Protocol.Messages;

namespace Wharf.Cli.Cluster;

/// <summary>
/// <c>wharf cluster health</c>: exit 0 when the cluster is healthy, 1 when not (after printing why). Healthy means:
/// every broker the metadata lists answers an ApiVersions request of its own; no broker named as a replica is
/// missing from the metadata (a stopped broker drops out of it); a controller is known; and no partition is offline
/// (no leader), under-replicated (fewer in-sync replicas than replicas) or under its topic's
/// <c>min.insync.replicas</c>.
/// </summary>
internal static class ClusterHealthCommand
{
    public static Command Create()
    {
        var command = new Command("health", "Check brokers, controller and partitions; exit 1 when the cluster is unhealthy");
        command.SetAction(CliAction.Run(async (parsed, cancellationToken) =>
        {
            using var admin = Admin.Connect(parsed);
            var cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { RequestTimeout = Admin.Timeout });
            var metadata = admin.GetMetadata(Admin.Timeout);
            var minIsr = await MinInSyncReplicasAsync(admin, metadata.Topics.Where(t => !t.Error.IsError).Select(t => t.Topic).ToList());

            var brokers = new List<BrokerHealth>();
            foreach (var broker in metadata.Brokers.OrderBy(b => b.BrokerId))
            {
                brokers.Add(new BrokerHealth(broker.BrokerId, broker.Host, broker.Port, await AnswersAsync(broker, cancellationToken)));
            }

            var partitions = metadata.Topics
                .Where(t => !t.Error.IsError)
                .SelectMany(t => t.Partitions.Select(p => (Topic: t.Topic, Partition: p)))
                .OrderBy(x => x.Topic, StringComparer.Ordinal).ThenBy(x => x.Partition.PartitionId)
                .ToList();
            var live = brokers.Select(b => b.Id).ToHashSet();
            var view = new HealthView(
                Healthy: false,
                ControllerId: cluster.Controller?.Id,
                Brokers: brokers,
                DownBrokers: [.. partitions.SelectMany(p => p.Partition.Replicas).Where(id => !live.Contains(id)).Distinct().Order()],
                OfflinePartitions: [.. partitions.Where(p => p.Partition.Leader < 0).Select(p => new PartitionRef(p.Topic, p.Partition.PartitionId))],
                UnderReplicatedPartitions: [.. partitions
                    .Where(p => p.Partition.InSyncReplicas.Length < p.Partition.Replicas.Length)
                    .Select(p => new ReplicaState(p.Topic, p.Partition.PartitionId, p.Partition.Replicas, p.Partition.InSyncReplicas))],
                UnderMinIsrPartitions: [.. partitions
                    .Where(p => minIsr.TryGetValue(p.Topic, out var min) && p.Partition.InSyncReplicas.Length < min)
                    .Select(p => new MinIsrState(p.Topic, p.Partition.PartitionId, p.Partition.InSyncReplicas.Length, minIsr[p.Topic]))]);
            view = view with
            {
                Healthy = view.ControllerId is not null && view.Brokers.All(b => b.Reachable) && view.DownBrokers.Count == 0
                    && view.OfflinePartitions.Count == 0 && view.UnderReplicatedPartitions.Count == 0 && view.UnderMinIsrPartitions.Count == 0,
            };

            Print(parsed, view);
            if (!view.Healthy)
            {
                await Console.Error.WriteLineAsync($"wharf: the cluster is not healthy: {Problems(view)}");
                return CliAction.Failure;
            }

            return 0;
        }));
        return command;
    }

    private static void Print(ParseResult parsed, HealthView view)
    {
        if (Output.IsJson(parsed))
        {
            Output.Json(view);
            return;
        }

        static string Partitions(IEnumerable<(string Topic, int Partition)> partitions)
        {
            var list = partitions.ToList();
            return $"{list.Count} [{string.Join(' ', list.Select(p => $"{p.Topic}/{p.Partition}"))}]";
        }

        Output.Table(["CHECK", "RESULT"],
        [
            ["HEALTHY", view.Healthy ? "yes" : "no"],
            ["CONTROLLER", view.ControllerId?.ToString(CultureInfo.InvariantCulture) ?? "none"],
            ["BROKERS-UP", $"{view.Brokers.Count(b => b.Reachable)} [{string.Join(' ', view.Brokers.Where(b => b.Reachable).Select(b => b.Id))}]"],
            ["BROKERS-UNREACHABLE", $"{view.Brokers.Count(b => !b.Reachable)} [{string.Join(' ', view.Brokers.Where(b => !b.Reachable).Select(b => b.Id))}]"],
            ["BROKERS-DOWN", $"{view.DownBrokers.Count} [{string.Join(' ', view.DownBrokers)}]"],
            ["OFFLINE-PARTITIONS", Partitions(view.OfflinePartitions.Select(p => (p.Topic, p.Partition)))],
            ["UNDER-REPLICATED-PARTITIONS", Partitions(view.UnderReplicatedPartitions.Select(p => (p.Topic, p.Partition)))],
            ["UNDER-MIN-ISR-PARTITIONS", Partitions(view.UnderMinIsrPartitions.Select(p => (p.Topic, p.Partition)))],
        ]);
    }

    private static string Problems(HealthView view)
    {
        var problems = new List<string>();
        if (view.ControllerId is null)
        {
            problems.Add("no controller");
        }

        void Count(int count, string what)
        {
            if (count > 0)
            {
                problems.Add($"{count} {what}");
            }
        }

        Count(view.Brokers.Count(b => !b.Reachable), "unreachable broker(s)");
        Count(view.DownBrokers.Count, "broker(s) down");
        Count(view.OfflinePartitions.Count, "offline partition(s)");
        Count(view.UnderReplicatedPartitions.Count, "under-replicated partition(s)");
        Count(view.UnderMinIsrPartitions.Count, "partition(s) under min.insync.replicas");
        return string.Join(", ", problems);
    }

    /// <summary>Whether the broker answers ApiVersions on its own address (what every client sends first).</summary>
    private static async Task<bool> AnswersAsync(BrokerMetadata broker, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await KafkaWire.ConnectAsync(broker.Host, broker.Port, cancellationToken);
            var response = await KafkaWire.SendAsync<ApiVersionsRequest, ApiVersionsResponse>(connection, new ApiVersionsRequest(), 0, cancellationToken);
            return response.ErrorCode == 0;
        }
        catch (CliException)
        {
            return false;
        }
    }

    private static async Task<Dictionary<string, int>> MinInSyncReplicasAsync(IAdminClient admin, List<string> topics)
    {
        if (topics.Count == 0)
        {
            return [];
        }

        var configs = await admin.DescribeConfigsAsync(
            topics.Select(t => new ConfigResource { Type = ResourceType.Topic, Name = t }),
            new DescribeConfigsOptions { RequestTimeout = Admin.Timeout });
        return configs
            .Where(c => c.Entries.TryGetValue("min.insync.replicas", out var entry) && int.TryParse(entry.Value, CultureInfo.InvariantCulture, out _))
            .ToDictionary(c => c.ConfigResource.Name, c => int.Parse(c.Entries["min.insync.replicas"].Value, CultureInfo.InvariantCulture));
    }

    private sealed record HealthView(
        bool Healthy,
        int? ControllerId,
        IReadOnlyList<BrokerHealth> Brokers,
        IReadOnlyList<int> DownBrokers,
        IReadOnlyList<PartitionRef> OfflinePartitions,
        IReadOnlyList<ReplicaState> UnderReplicatedPartitions,
        IReadOnlyList<MinIsrState> UnderMinIsrPartitions);

    private sealed record BrokerHealth(int Id, string Host, int Port, bool Reachable);

    private sealed record PartitionRef(string Topic, int Partition);

    private sealed record ReplicaState(string Topic, int Partition, int[] Replicas, int[] Isr);

    private sealed record MinIsrState(string Topic, int Partition, int IsrCount, int MinIsr);
}
