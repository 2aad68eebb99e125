using Wharf.Common;
using Wharf.Protocol.Messages;
using Wharf.Replication;

namespace Wharf.Server.Handlers;

/// <summary>DescribeLogDirs (API 35), v0–4 (v0 is v1 without throttling): the data directory, its partitions' sizes, and its disk space. Thread-safety: stateless.</summary>
public sealed class DescribeLogDirsHandler(ReplicaManager replicas) : IRequestHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>
{
    public static ApiVersionRange Versions => new(0, 4);

    public ValueTask<DescribeLogDirsResponse?> HandleAsync(RequestContext context, DescribeLogDirsRequest request, CancellationToken cancellationToken)
    {
        var directory = Path.GetFullPath(replicas.DataDirectory);
        var drive = new DriveInfo(directory);
        var result = new DescribeLogDirsResponse.DescribeLogDirsResult { LogDir = directory, TotalBytes = drive.TotalSize, UsableBytes = drive.AvailableFreeSpace };
        var wanted = request.Topics?.SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, p))).ToHashSet();
        foreach (var group in replicas.Partitions.Where(p => wanted is null || wanted.Contains(p.TopicPartition)).GroupBy(p => p.TopicPartition.Topic).OrderBy(g => g.Key))
        {
            result.Topics.Add(new()
            {
                Name = group.Key,
                Partitions = [.. group.OrderBy(p => p.TopicPartition.Partition).Select(p => new DescribeLogDirsResponse.DescribeLogDirsPartition { PartitionIndex = p.TopicPartition.Partition, PartitionSize = p.Size, OffsetLag = 0 })],
            });
        }

        return ValueTask.FromResult<DescribeLogDirsResponse?>(new DescribeLogDirsResponse { Results = [result] });
    }
}
