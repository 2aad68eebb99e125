using Wharf.Common;
using Wharf.Metadata;

namespace Wharf.Replication.Tests;

/// <summary>Self-fencing: a suspended broker leads nothing whatever the image says, and resumes leading exactly what it says.</summary>
public sealed class ReplicaManagerFencingTests : IDisposable
{
    private const int Partitions = 40;
    private static readonly Guid OrdersId = new("00000000-0000-0000-0000-00000000000b");
    private readonly ReplicaFixture _fixture = new();
    private readonly List<LeadershipChange> _changes = [];

    public ReplicaManagerFencingTests() => _fixture.Replicas.WatchLeadership(_changes.Add);

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void Suspended_LeadsNothing_ThenResumesAtTheImagesEpochs_AnnouncingEachPartitionOnce()
    {
        _fixture.Change([new TopicRecord("orders", OrdersId), .. Enumerable.Range(0, Partitions).Select(p => ReplicaFixture.Partition(OrdersId, p, leader: p % 2 == 0 ? 1 : 2, leaderEpoch: 3, 1, 2))]);
        _changes.Clear();

        var resigned = _fixture.Replicas.SuspendLeadership("test");
        var whileSuspended = _fixture.Replicas.Partitions.Count(p => p.IsLeader);
        // A delta naming this node leader at a newer epoch arrives while suspended: applied as a follower.
        _fixture.Change([.. Enumerable.Range(0, Partitions).Select(p => ReplicaFixture.Partition(OrdersId, p, leader: 1, leaderEpoch: 5, 1, 2))]);
        var afterDelta = _fixture.Replicas.Partitions.Count(p => p.IsLeader);
        var resignations = _changes.Count(c => !c.IsLeader);
        _changes.Clear();

        _fixture.Replicas.ResumeLeadership();

        Assert.Equal((Partitions / 2, 0, 0, Partitions / 2), (resigned, whileSuspended, afterDelta, resignations));
        Assert.All(_fixture.Replicas.Partitions, p => Assert.Equal((PartitionRole.Leader, 5), (p.Role, p.LeaderEpoch)));
        Assert.Equal(
            Enumerable.Range(0, Partitions).Select(p => new LeadershipChange(new TopicPartition("orders", p), true, 5)).OrderBy(c => c.Partition.Partition),
            _changes.OrderBy(c => c.Partition.Partition));
    }
}
