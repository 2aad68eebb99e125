using Wharf.Common;

namespace Wharf.Server.Handlers;

/// <summary>Kafka's rule for a request that names the leader epoch the client believes in (-1 = don't check).</summary>
internal static class LeaderEpochCheck
{
    public static ErrorCode Validate(int requestEpoch, int leaderEpoch) =>
        requestEpoch < 0 || requestEpoch == leaderEpoch ? ErrorCode.None
        : requestEpoch < leaderEpoch ? ErrorCode.FencedLeaderEpoch
        : ErrorCode.UnknownLeaderEpoch;
}
