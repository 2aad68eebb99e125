using Wharf.Common;
using Wharf.Coordinator.Runtime;

namespace Wharf.Coordinator.Share;

/// <summary>
/// The share-partition states of one <c>__share_group_state</c> partition during one leadership: the newest snapshot
/// per <see cref="ShareKey"/>, rebuilt by replay. A write is fenced when it comes from an older partition leadership
/// (FENCED_LEADER_EPOCH) or an older state epoch (FENCED_STATE_EPOCH: the state was reset meanwhile).
/// Thread-safety: none; every member runs on the partition's event loop (see <see cref="ICoordinatorShard"/>).
/// </summary>
internal sealed class ShareCoordinatorShard : ICoordinatorShard
{
    private readonly Dictionary<ShareKey, ShareSnapshot> _states = [];

    public int Count => _states.Count;

    public void Replay(in CoordinatorRecord record)
    {
        if (record.Marker is not null)
        {
            return;
        }

        var key = ShareStateRecords.ReadKey(record.Key);
        if (record.Value is null)
        {
            _states.Remove(key);
        }
        else
        {
            _states[key] = ShareStateRecords.ReadValue(record.Value);
        }
    }

    public void OnLoaded()
    {
    }

    public void OnUnloaded() => _states.Clear();

    public ShareSnapshot? Read(ShareKey key) => _states.GetValueOrDefault(key);

    public IEnumerable<(ShareKey Key, ShareSnapshot State)> OfGroup(string groupId) =>
        _states.Where(s => string.Equals(s.Key.GroupId, groupId, StringComparison.Ordinal)).Select(s => (s.Key, s.Value));

    public CoordinatorResult<ErrorCode> Write(ShareKey key, ShareSnapshot snapshot)
    {
        if (_states.TryGetValue(key, out var current))
        {
            if (snapshot.StateEpoch < current.StateEpoch)
            {
                return new(ErrorCode.FencedStateEpoch);
            }

            if (snapshot.StateEpoch == current.StateEpoch && snapshot.LeaderEpoch < current.LeaderEpoch)
            {
                return new(ErrorCode.FencedLeaderEpoch);
            }
        }

        return new([CoordinatorRecord.Data(ShareStateRecords.Key(key), ShareStateRecords.Value(snapshot))], ErrorCode.None);
    }

    public CoordinatorResult<ErrorCode> Delete(ShareKey key) =>
        _states.ContainsKey(key)
            ? new([CoordinatorRecord.Data(ShareStateRecords.Key(key), null)], ErrorCode.None)
            : new(ErrorCode.None);
}
