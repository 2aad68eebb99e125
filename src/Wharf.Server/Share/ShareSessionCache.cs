using Wharf.Common;

namespace Wharf.Server.Share;

/// <summary>
/// Share sessions (KIP-932): per (group, member) on this broker, the partitions a member fetches here and the epoch its
/// next request must carry. Epoch 0 opens a session (replacing the member's old one), -1 closes it, any other value
/// must be the expected one — which goes up by one per accepted request and wraps from <see cref="int.MaxValue"/> to 1.
/// A session idle for longer than <see cref="IdleTimeout"/> is dropped when room is needed; at most
/// <see cref="MaxSessions"/> exist (SHARE_SESSION_LIMIT_REACHED beyond).
/// Thread-safety: all members are safe from any thread (one lock; requests of one session come one at a time).
/// </summary>
public sealed class ShareSessionCache(TimeProvider time, int maxSessions = 2_000, TimeSpan? idleTimeout = null)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Group, string Member), ShareSession> _sessions = [];

    public int MaxSessions { get; } = maxSessions;

    public TimeSpan IdleTimeout { get; } = idleTimeout ?? TimeSpan.FromSeconds(60);

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>
    /// Accepts a request at <paramref name="epoch"/>: the session it belongs to (a new one for 0; for -1 the closed one,
    /// already removed), or the error. <paramref name="evicted"/> lists idle sessions dropped to make room (their
    /// members' records should be released).
    /// </summary>
    public (ErrorCode Error, ShareSession? Session) Accept(string groupId, string memberId, int epoch, List<ShareSession> evicted)
    {
        var key = (groupId, memberId);
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (epoch == 0)
            {
                if (!_sessions.ContainsKey(key) && _sessions.Count >= MaxSessions)
                {
                    foreach (var idle in _sessions.Where(s => now - s.Value.LastUsed > IdleTimeout).Select(s => s.Key).ToList())
                    {
                        evicted.Add(_sessions[idle]);
                        _sessions.Remove(idle);
                    }

                    if (_sessions.Count >= MaxSessions)
                    {
                        return (ErrorCode.ShareSessionLimitReached, null);
                    }
                }

                var created = new ShareSession(groupId, memberId) { NextEpoch = 1, LastUsed = now };
                _sessions[key] = created;
                return (ErrorCode.None, created);
            }

            if (!_sessions.TryGetValue(key, out var session))
            {
                return (ErrorCode.ShareSessionNotFound, null);
            }

            if (epoch == -1)
            {
                _sessions.Remove(key);
                return (ErrorCode.None, session);
            }

            if (epoch != session.NextEpoch)
            {
                return (ErrorCode.InvalidShareSessionEpoch, null);
            }

            session.NextEpoch = epoch == int.MaxValue ? 1 : epoch + 1;
            session.LastUsed = now;
            return (ErrorCode.None, session);
        }
    }
}

/// <summary>One member's share session on this broker. Its partitions are changed only by the request holding it.</summary>
public sealed class ShareSession(string groupId, string memberId)
{
    public string GroupId { get; } = groupId;

    public string MemberId { get; } = memberId;

    public int NextEpoch { get; set; }

    public DateTimeOffset LastUsed { get; set; }

    /// <summary>The partitions the member fetches in this session, in the order they were added.</summary>
    public List<(Guid TopicId, int Partition)> Partitions { get; } = [];
}
