using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Coordinator.Runtime;

namespace Wharf.Coordinator.Share;

/// <summary>
/// The share coordinator (KIP-932's persister side): keeps every share-partition's state in the compacted internal
/// topic <c>__share_group_state</c>, a share-partition on the partition its key <c>group:topicId:partition</c> hashes to
/// (<see cref="PartitionFor"/>), served by the broker leading that partition. Share-partition leaders read a state once
/// when they start serving it and write it on every change that must survive them (acknowledgements, archiving, the
/// start offset moving); a write completes only once durable on the in-sync replicas, which is when the acknowledging
/// consumer is answered. A new leader of a <c>__share_group_state</c> partition replays it (see
/// <see cref="CoordinatorRuntime{TShard}"/>).
/// Thread-safety: all members are safe from any thread.
/// </summary>
public sealed class ShareCoordinator : IDisposable
{
    private readonly CoordinatorRuntime<ShareCoordinatorShard> _runtime;

    public ShareCoordinator(IPartitionWriter writer, int partitions, TimeProvider time, ILoggerFactory? loggerFactory = null)
    {
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ShareCoordinator>();
        _runtime = new CoordinatorRuntime<ShareCoordinatorShard>(StateTopic, partitions, writer, _ => new ShareCoordinatorShard(), time, logger);
    }

    /// <summary>The internal topic of share-partition states.</summary>
    public const string StateTopic = "__share_group_state";

    public int PartitionCount => _runtime.PartitionCount;

    public int PartitionFor(ShareKey key) => GroupCoordinator.PartitionFor(key.ToString(), _runtime.PartitionCount);

    public Task OnElection(int partition, int leaderEpoch, CancellationToken cancellationToken = default) => _runtime.OnElection(partition, leaderEpoch, cancellationToken);

    public void OnResignation(int partition, int? leaderEpoch) => _runtime.OnResignation(partition, leaderEpoch);

    public Task LoadAllAsync(int leaderEpoch = 0, CancellationToken cancellationToken = default) =>
        Task.WhenAll(Enumerable.Range(0, PartitionCount).Select(p => OnElection(p, leaderEpoch, cancellationToken)));

    /// <summary>None when <paramref name="key"/>'s partition is served here; else COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR.</summary>
    public ErrorCode Status(ShareKey key) => _runtime.Status(PartitionFor(key));

    /// <summary>How many share-partition states <paramref name="partition"/> holds here.</summary>
    public int StateCount(int partition) => _runtime.Run(partition, shard => shard.Count, _ => 0);

    /// <summary>The persisted state of <paramref name="key"/> (null: none yet), or the error when its partition is not served here.</summary>
    public (ErrorCode Error, ShareSnapshot? State) Read(ShareKey key) =>
        _runtime.Run(PartitionFor(key), shard => (ErrorCode.None, shard.Read(key)), error => (error, null));

    /// <summary>Every state of <paramref name="groupId"/> held on the partitions served here.</summary>
    public List<(ShareKey Key, ShareSnapshot State)> ReadGroup(string groupId) => _runtime.RunOnEach(shard => shard.OfGroup(groupId).ToList());

    /// <summary>Writes <paramref name="snapshot"/> as <paramref name="key"/>'s state; completes once it is durable (or with the error).</summary>
    public Task<ErrorCode> WriteAsync(ShareKey key, ShareSnapshot snapshot) =>
        _runtime.WriteAsync(PartitionFor(key), shard => shard.Write(key, snapshot), error => error);

    /// <summary>Forgets <paramref name="key"/>'s state (a tombstone).</summary>
    public Task<ErrorCode> DeleteAsync(ShareKey key) =>
        _runtime.WriteAsync(PartitionFor(key), shard => shard.Delete(key), error => error);

    public void Dispose() => _runtime.Dispose();
}
