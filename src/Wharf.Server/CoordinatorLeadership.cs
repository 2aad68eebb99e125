using Microsoft.Extensions.Logging;
using Wharf.Coordinator;
using Wharf.Coordinator.Share;
using Wharf.Coordinator.Transaction;
using Wharf.Replication;

namespace Wharf.Server;

/// <summary>
/// Coordinators follow leadership: the group coordinator holds exactly the <c>__consumer_offsets</c> partitions this
/// broker leads, the transaction coordinator exactly the <c>__transaction_state</c> ones, the share coordinator the <c>__share_group_state</c> ones. A partition that becomes
/// leader here is loaded at its leader epoch (replayed from its log); one that stops leading here — moved, fenced,
/// suspended, deleted — is unloaded at once, after which its keys answer NOT_COORDINATOR. Notifications arrive in
/// order per partition (<see cref="ReplicaManager.WatchLeadership"/>), so an unload is never stale.
/// </summary>
public static class CoordinatorLeadership
{
    /// <summary>Starts following; dispose the result to stop.</summary>
    public static IDisposable Follow(ReplicaManager replicas, GroupCoordinator groups, TransactionCoordinator transactions, ILogger logger, ShareCoordinator? shares = null) =>
        replicas.WatchLeadership(change =>
        {
            var (topic, partition) = (change.Partition.Topic, change.Partition.Partition);
            var (count, elect, resign) = topic switch
            {
                GroupCoordinator.OffsetsTopic => (groups.PartitionCount, (Func<int, int, Task>)((p, e) => groups.OnElection(p, e)), (Action<int>)(p => groups.OnResignation(p, null))),
                TransactionCoordinator.StateTopic => (transactions.PartitionCount, (p, e) => transactions.OnElection(p, e), p => transactions.OnResignation(p, null)),
                ShareCoordinator.StateTopic when shares is not null => (shares.PartitionCount, (p, e) => shares.OnElection(p, e), p => shares.OnResignation(p, null)),
                _ => (0, null!, null!),
            };
            if (count == 0)
            {
                return;
            }

            if (partition >= count)
            {
                logger.LogError("{Partition} is beyond the {Count} partitions the coordinator was started with; restart the broker to serve it", change.Partition, count);
                return;
            }

            if (!change.IsLeader)
            {
                resign(partition);
                return;
            }

            elect(partition, change.LeaderEpoch).ContinueWith(
                t => logger.LogError(t.Exception, "Loading coordinator partition {Partition} at leader epoch {Epoch} failed; it answers COORDINATOR_NOT_AVAILABLE until its next election", change.Partition, change.LeaderEpoch),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        });
}
