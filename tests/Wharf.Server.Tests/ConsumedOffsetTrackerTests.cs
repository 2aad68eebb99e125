using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Server.Retention;

namespace Wharf.Server.Tests;

/// <summary>
/// The consumed offsets behind <c>retention.consumed.groups</c>, over stand-in group sources: node 1 leads partitions 0
/// and 1 of <c>queue</c> (which lists a classic group and a share group) and of <c>plain</c> (which lists none); node 2
/// leads <c>queue</c>-2.
/// </summary>
public sealed class ConsumedOffsetTrackerTests
{
    private static readonly Guid QueueId = new("00000000-0000-0000-0000-0000000000b1");
    private static readonly TopicPartition Queue0 = new("queue", 0);
    private static readonly TopicPartition Queue1 = new("queue", 1);

    private MetadataImage _image = new MetadataRecord[]
    {
        new RegisterBrokerRecord(1, Guid.NewGuid(), [new Listener("PLAINTEXT", "broker1", 9092)], null),
        new RegisterBrokerRecord(2, Guid.NewGuid(), [new Listener("PLAINTEXT", "broker2", 9093)], null),
        new TopicRecord("queue", QueueId),
        new PartitionRecord(QueueId, 0, [1], [1], 1, 0, 0),
        new PartitionRecord(QueueId, 1, [1], [1], 1, 0, 0),
        new PartitionRecord(QueueId, 2, [2], [2], 2, 0, 0),
        new ConfigRecord(ConfigResourceType.Topic, "queue", "retention.consumed.groups", "orders-app,orders-share"),
        new TopicRecord("plain", Guid.NewGuid()),
    }.Aggregate(MetadataImage.Empty("test-cluster", 1, 1), (image, record) => image.Apply(record));

    private readonly Dictionary<TopicPartition, long> _highWatermarks = new() { [Queue0] = 1000, [Queue1] = 1000, [new("plain", 0)] = 1000 };

    /// <summary>Classic groups: answers for <c>orders-app</c> only.</summary>
    private readonly StandInSource _classic = new(group => group == "orders-app" ? new Dictionary<int, long> { [0] = 50, [1] = 5, [2] = 70 } : null);

    /// <summary>Share groups: answers for <c>orders-share</c> only (its share-partition start offsets).</summary>
    private readonly StandInSource _share = new(group => group == "orders-share" ? new Dictionary<int, long> { [0] = 30, [1] = 40 } : null);

    private ConsumedOffsetTracker Tracker(params IGroupProgressSource[] sources) => new(
        () => _image,
        new TopicConfigResolver(BrokerConfig.Default),
        partition => _highWatermarks.TryGetValue(partition, out var highWatermark) ? highWatermark : null,
        sources,
        NullLogger.Instance);

    [Fact]
    public async Task ConsumedOffset_IsTheMinimumOverTheListedGroups_EachAnsweredByItsOwnSource()
    {
        await using var tracker = Tracker(_classic, _share);

        await tracker.RefreshAsync();

        Assert.Equal(30, tracker.ConsumedOffset(Queue0));
        Assert.Equal(5, tracker.ConsumedOffset(Queue1));
        Assert.Null(tracker.ConsumedOffset(new("queue", 2))); // led by node 2
        Assert.Null(tracker.ConsumedOffset(new("plain", 0))); // lists no group
        Assert.Equal(["orders-app", "orders-share"], _classic.Asked.Order());
        Assert.Equal(["orders-share"], _share.Asked);
    }

    [Fact]
    public async Task ConsumedOffset_IsCappedAtTheHighWatermark()
    {
        _highWatermarks[Queue0] = 20;
        await using var tracker = Tracker(_classic, _share);

        await tracker.RefreshAsync();

        Assert.Equal(20, tracker.ConsumedOffset(Queue0));
        Assert.Equal(5, tracker.ConsumedOffset(Queue1));
    }

    [Fact]
    public async Task ConsumedOffset_IsUnknown_WhileAListedGroupHasNoAnswer()
    {
        await using var withoutShareGroups = Tracker(_classic);
        await using var partialAnswer = Tracker(_classic, new StandInSource(group => group == "orders-share" ? new Dictionary<int, long> { [0] = 30 } : null));

        await withoutShareGroups.RefreshAsync();
        await partialAnswer.RefreshAsync();

        Assert.Null(withoutShareGroups.ConsumedOffset(Queue0));
        Assert.Null(withoutShareGroups.ConsumedOffset(Queue1));
        Assert.Equal(30, partialAnswer.ConsumedOffset(Queue0));
        Assert.Null(partialAnswer.ConsumedOffset(Queue1));
    }

    [Fact]
    public async Task ConsumedOffset_IsUnknown_WhenTheOnlySourceForAGroupThrows()
    {
        await using var tracker = Tracker(_classic, new StandInSource(_ => throw new InvalidOperationException("coordinator broke")));

        await tracker.RefreshAsync();

        Assert.Null(tracker.ConsumedOffset(Queue0));
    }

    [Fact]
    public async Task ConsumedOffset_IsUnknown_OnceItsTopicIsDeletedAndCreatedAgain()
    {
        await using var tracker = Tracker(_classic, _share);
        await tracker.RefreshAsync();
        Assert.Equal(30, tracker.ConsumedOffset(Queue0));

        var again = Guid.NewGuid();
        _image = _image.Apply(new RemoveTopicRecord(QueueId)).Apply(new TopicRecord("queue", again)).Apply(new PartitionRecord(again, 0, [1], [1], 1, 0, 0));

        Assert.Null(tracker.ConsumedOffset(Queue0));
    }

    [Fact]
    public async Task Refresh_RunsOnTheTimer_SoRetentionSeesNewPositionsEachInterval()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var tracker = Tracker(_classic, _share);

        tracker.Start(time, TimeSpan.FromMinutes(5));
        await WaitUntilAsync(() => tracker.ConsumedOffset(Queue0) == 30);
        _share.Answer = group => group == "orders-share" ? new Dictionary<int, long> { [0] = 45, [1] = 40 } : null;
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(30, tracker.ConsumedOffset(Queue0));
        time.Advance(TimeSpan.FromMinutes(1));

        await WaitUntilAsync(() => tracker.ConsumedOffset(Queue0) == 45);
    }

    [Fact]
    public async Task Refresh_AfterDispose_Throws_AndTheLastOffsetsStay()
    {
        var tracker = Tracker(_classic, _share);
        await tracker.RefreshAsync();

        await tracker.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => tracker.RefreshAsync());
        Assert.Equal(30, tracker.ConsumedOffset(Queue0));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, deadline.Token); // polls the condition; the deadline fails the test
        }
    }

    /// <summary>A group type's progress as the test sets it; records the groups it was asked about.</summary>
    private sealed class StandInSource(Func<string, Dictionary<int, long>?> answer) : IGroupProgressSource
    {
        private readonly List<string> _asked = [];

        public Func<string, Dictionary<int, long>?> Answer { get; set; } = answer;

        public IReadOnlyList<string> Asked
        {
            get
            {
                lock (_asked)
                {
                    return [.. _asked];
                }
            }
        }

        public ValueTask<IReadOnlyDictionary<int, long>?> ConsumedOffsetsAsync(string group, string topic, CancellationToken cancellationToken)
        {
            lock (_asked)
            {
                _asked.Add(group);
            }

            return ValueTask.FromResult<IReadOnlyDictionary<int, long>?>(Answer(group));
        }
    }
}
