using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.Server.Share;

namespace Wharf.Server.Tests.Share;

/// <summary>Share-session epochs and the session limit, in virtual time.</summary>
public class ShareSessionCacheTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void EpochZero_OpensASessionExpectingEpochOne_AndEachAcceptedEpochAdvancesItByOne()
    {
        var cache = new ShareSessionCache(_time);

        var (error, session) = cache.Accept("g", "m", 0, []);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(("g", "m", 1), (session!.GroupId, session.MemberId, session.NextEpoch));

        for (var epoch = 1; epoch <= 3; epoch++)
        {
            var next = cache.Accept("g", "m", epoch, []);
            Assert.Equal(ErrorCode.None, next.Error);
            Assert.Same(session, next.Session);
            Assert.Equal(epoch + 1, session.NextEpoch);
        }

        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void EpochZero_OfAnOpenSession_ReplacesItWithANewOne()
    {
        var cache = new ShareSessionCache(_time);
        var (_, old) = cache.Accept("g", "m", 0, []);
        cache.Accept("g", "m", 1, []);

        var (error, replaced) = cache.Accept("g", "m", 0, []);

        Assert.Equal(ErrorCode.None, error);
        Assert.NotSame(old, replaced);
        Assert.Equal(1, replaced!.NextEpoch);
        Assert.Equal(1, cache.Count);
        Assert.Equal(ErrorCode.InvalidShareSessionEpoch, cache.Accept("g", "m", 2, []).Error);
    }

    [Fact]
    public void TheExpectedEpoch_WrapsFromIntMaxValueToOne()
    {
        var cache = new ShareSessionCache(_time);
        var (_, session) = cache.Accept("g", "m", 0, []);
        session!.NextEpoch = int.MaxValue;

        Assert.Equal(ErrorCode.None, cache.Accept("g", "m", int.MaxValue, []).Error);

        Assert.Equal(1, session.NextEpoch);
        Assert.Equal(ErrorCode.None, cache.Accept("g", "m", 1, []).Error);
        Assert.Equal(2, session.NextEpoch);
    }

    [Theory]
    [InlineData(3)] // ahead
    [InlineData(1)] // a retry of the last one
    [InlineData(-2)]
    public void AnEpochOtherThanTheExpectedOne_IsInvalidShareSessionEpoch_AndLeavesTheSessionAsItWas(int epoch)
    {
        var cache = new ShareSessionCache(_time);
        var (_, session) = cache.Accept("g", "m", 0, []);
        cache.Accept("g", "m", 1, []);
        var lastUsed = session!.LastUsed;
        _time.Advance(TimeSpan.FromSeconds(1));

        var (error, rejected) = cache.Accept("g", "m", epoch, []);

        Assert.Equal(ErrorCode.InvalidShareSessionEpoch, error);
        Assert.Null(rejected);
        Assert.Equal((2, lastUsed), (session.NextEpoch, session.LastUsed));
        Assert.Equal(ErrorCode.None, cache.Accept("g", "m", 2, []).Error);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public void ANonZeroEpochWithoutASession_IsShareSessionNotFound(int epoch)
    {
        var cache = new ShareSessionCache(_time);
        cache.Accept("g", "other", 0, []);

        Assert.Equal((ErrorCode.ShareSessionNotFound, null), cache.Accept("g", "m", epoch, []));
        Assert.Equal((ErrorCode.ShareSessionNotFound, null), cache.Accept("h", "other", epoch, []));
    }

    [Fact]
    public void EpochMinusOne_ClosesTheSessionAndReturnsIt()
    {
        var cache = new ShareSessionCache(_time);
        var (_, session) = cache.Accept("g", "m", 0, []);
        cache.Accept("g", "m", 1, []);

        var (error, closed) = cache.Accept("g", "m", -1, []);

        Assert.Equal(ErrorCode.None, error);
        Assert.Same(session, closed);
        Assert.Equal(0, cache.Count);
        Assert.Equal(ErrorCode.ShareSessionNotFound, cache.Accept("g", "m", 2, []).Error);
    }

    [Fact]
    public void AtTheLimit_ANewSessionIsShareSessionLimitReached_WhileNoneIsIdle()
    {
        var cache = new ShareSessionCache(_time, maxSessions: 2, idleTimeout: TimeSpan.FromSeconds(60));
        cache.Accept("g", "m1", 0, []);
        cache.Accept("g", "m2", 0, []);
        _time.Advance(TimeSpan.FromSeconds(60)); // idle for exactly the timeout: not yet longer
        var evicted = new List<ShareSession>();

        Assert.Equal((ErrorCode.ShareSessionLimitReached, null), cache.Accept("g", "m3", 0, evicted));

        Assert.Empty(evicted);
        Assert.Equal(2, cache.Count);
        Assert.Equal(ErrorCode.None, cache.Accept("g", "m1", 0, evicted).Error); // reopening an existing one needs no room
        Assert.Equal(ErrorCode.None, cache.Accept("g", "m2", 1, evicted).Error);
    }

    [Fact]
    public void AtTheLimit_SessionsIdleLongerThanTheIdleTimeout_AreEvictedToMakeRoom_AndReturned()
    {
        var cache = new ShareSessionCache(_time, maxSessions: 3, idleTimeout: TimeSpan.FromSeconds(60));
        var (_, idle1) = cache.Accept("g", "idle1", 0, []);
        var (_, idle2) = cache.Accept("h", "idle2", 0, []);
        cache.Accept("g", "busy", 0, []);
        _time.Advance(TimeSpan.FromSeconds(30));
        cache.Accept("g", "busy", 1, []); // used 30 s later: not idle long enough
        _time.Advance(TimeSpan.FromSeconds(31));
        var evicted = new List<ShareSession>();

        var (error, session) = cache.Accept("g", "new", 0, evicted);

        Assert.Equal(ErrorCode.None, error);
        Assert.NotNull(session);
        Assert.Equal([idle1, idle2], evicted.OrderBy(s => s.MemberId, StringComparer.Ordinal));
        Assert.Equal(2, cache.Count);
        Assert.Equal(ErrorCode.ShareSessionNotFound, cache.Accept("g", "idle1", 1, []).Error);
        Assert.Equal(ErrorCode.None, cache.Accept("g", "busy", 2, []).Error);
    }

    [Fact]
    public void BelowTheLimit_IdleSessionsAreKept()
    {
        var cache = new ShareSessionCache(_time, maxSessions: 3, idleTimeout: TimeSpan.FromSeconds(60));
        cache.Accept("g", "idle", 0, []);
        _time.Advance(TimeSpan.FromHours(1));
        var evicted = new List<ShareSession>();

        Assert.Equal(ErrorCode.None, cache.Accept("g", "new", 0, evicted).Error);

        Assert.Empty(evicted);
        Assert.Equal(ErrorCode.None, cache.Accept("g", "idle", 1, evicted).Error);
    }
}
