using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Wharf.Common;
using Wharf.Configuration;
using Wharf.Metadata;

namespace Wharf.Server.Retention;

/// <summary>
/// The consumed offset of every partition this broker leads whose topic sets <c>retention.consumed.groups</c>: the
/// minimum over the listed groups of each group's position (<see cref="IGroupProgressSource"/>), capped at the
/// partition's high watermark. Retention (<c>LogManagerOptions.ConsumedOffset</c>) deletes closed segments wholly below
/// it. The positions come from group coordinators, possibly on other brokers, so they are gathered by
/// <see cref="RefreshAsync"/> — on a timer every <c>log.retention.check.interval.ms</c> of the injected
/// <see cref="TimeProvider"/>, or when a caller asks — and <see cref="ConsumedOffset"/> answers from the last refresh
/// only: the log maintenance thread never waits on the network.
/// <para>
/// Safe defaults: a partition gets no consumed offset (so nothing is deleted by this rule) when any listed group has
/// no answer for it — no source knows the group, its coordinator is unreachable or loading, it has not committed for
/// that partition — when this broker does not lead it, or when its topic was deleted (and perhaps re-created) since
/// the refresh (the entry is tied to the topic id). Each group is asked once per topic per refresh. A source that
/// throws counts as no answer.
/// </para>
/// Thread-safety: <see cref="ConsumedOffset"/> may be called from any thread; it reads an immutable map that a refresh
/// replaces whole (a volatile write). Refreshes never overlap: a timer tick while one runs is skipped, and
/// <see cref="RefreshAsync"/> waits for the running one. Lifecycle: <see cref="Start"/> arms the timer;
/// <see cref="DisposeAsync"/> (called once, by the owner) stops it and waits for a running refresh, and must come
/// before the sources' dependencies (group coordinator, connection pool) are disposed; a refresh asked for after it
/// throws <see cref="ObjectDisposedException"/>, while <see cref="ConsumedOffset"/> keeps answering from the last one.
/// </summary>
public sealed class ConsumedOffsetTracker : IAsyncDisposable
{
    private readonly Func<MetadataImage> _image;
    private readonly TopicConfigResolver _topicConfigs;
    private readonly Func<TopicPartition, long?> _leaderHighWatermark;
    private readonly IReadOnlyList<IGroupProgressSource> _sources;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private FrozenDictionary<TopicPartition, Consumed> _consumed = FrozenDictionary<TopicPartition, Consumed>.Empty;
    private ITimer? _timer;

    /// <param name="image">The current metadata image: topics, their configs and leaders.</param>
    /// <param name="topicConfigs">Resolves a topic's effective config (where <c>retention.consumed.groups</c> is read).</param>
    /// <param name="leaderHighWatermark">The high watermark of a partition this broker leads; null when it does not lead it.</param>
    /// <param name="sources">The group types' progress, asked in order (<see cref="ConsumedRetentionSetup.GroupProgressSources"/>).</param>
    /// <param name="logger">Where refresh failures go.</param>
    public ConsumedOffsetTracker(Func<MetadataImage> image, TopicConfigResolver topicConfigs, Func<TopicPartition, long?> leaderHighWatermark, IReadOnlyList<IGroupProgressSource> sources, ILogger logger)
    {
        _image = image;
        _topicConfigs = topicConfigs;
        _leaderHighWatermark = leaderHighWatermark;
        _sources = sources;
        _logger = logger;
    }

    /// <summary>Refreshes now and then every <paramref name="interval"/> of <paramref name="time"/>, in the background.</summary>
    public void Start(TimeProvider time, TimeSpan interval) =>
        _timer = time.CreateTimer(_ => _ = RefreshOnTimerAsync(), null, TimeSpan.Zero, interval);

    /// <summary>
    /// The offset below which every group <paramref name="partition"/>'s topic lists has consumed, as of the last
    /// refresh; null when not known (see the class). Never blocks.
    /// </summary>
    public long? ConsumedOffset(TopicPartition partition) =>
        Volatile.Read(ref _consumed).TryGetValue(partition, out var consumed)
            && _image().TryGetTopic(partition.Topic, out var topic) && topic.TopicId == consumed.TopicId
            ? consumed.Offset
            : null;

    /// <summary>Gathers every listed group's position now (after a refresh already running) and replaces the cache.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        await _refreshing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            await RefreshLockedAsync(linked.Token).ConfigureAwait(false);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private async Task RefreshOnTimerAsync()
    {
        if (!_refreshing.Wait(0))
        {
            return; // the previous refresh is still asking: this tick is skipped, not queued
        }

        try
        {
            await RefreshLockedAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Could not refresh the consumed offsets of retention.consumed.groups; keeping the previous ones");
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private async Task RefreshLockedAsync(CancellationToken cancellationToken)
    {
        var image = _image();
        var consumed = new Dictionary<TopicPartition, Consumed>();
        foreach (var topic in image.TopicsByName.Values)
        {
            var groups = _topicConfigs.Resolve(image.GetTopicConfigs(topic.Name)).RetentionConsumedGroups;
            var led = topic.Partitions.Values.Where(p => p.Leader == image.NodeId).Select(p => p.Partition).ToList();
            if (groups.Count == 0 || led.Count == 0)
            {
                continue;
            }

            var answers = await Task.WhenAll(groups.Select(group => AskAsync(group, topic.Name, cancellationToken))).ConfigureAwait(false);
            foreach (var partition in led)
            {
                var topicPartition = new TopicPartition(topic.Name, partition);
                if (MinimumOver(answers, partition) is { } minimum && _leaderHighWatermark(topicPartition) is { } highWatermark)
                {
                    consumed[topicPartition] = new Consumed(topic.TopicId, Math.Min(minimum, highWatermark));
                }
            }
        }

        Volatile.Write(ref _consumed, consumed.ToFrozenDictionary());
    }

    /// <summary>The lowest position over the groups' answers, or null when any group has none for the partition.</summary>
    internal static long? MinimumOver(IEnumerable<IReadOnlyDictionary<int, long>?> answers, int partition)
    {
        long? minimum = null;
        foreach (var answer in answers)
        {
            if (answer is null || !answer.TryGetValue(partition, out var offset))
            {
                return null;
            }

            minimum = Math.Min(minimum ?? offset, offset);
        }

        return minimum;
    }

    /// <summary>The first source's answer for the group, or null when none answers.</summary>
    private async Task<IReadOnlyDictionary<int, long>?> AskAsync(string group, string topic, CancellationToken cancellationToken)
    {
        foreach (var source in _sources)
        {
            try
            {
                if (await source.ConsumedOffsetsAsync(group, topic, cancellationToken).ConfigureAwait(false) is { } answer)
                {
                    return answer;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogWarning(e, "{Source} failed for group {Group} on topic {Topic}; nothing is deleted for it this time", source.GetType().Name, group, topic);
            }
        }

        _logger.LogDebug("No consumed offsets for group {Group} on topic {Topic}: its segments stay", group, topic);
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        // A running refresh ends (cancelled) before the sources' dependencies go away; later ones see the stop and end
        // at once. Neither the semaphore nor the token source holds a wait handle, so neither needs disposing.
        await _refreshing.WaitAsync().ConfigureAwait(false);
        _refreshing.Release();
    }

    /// <summary>A cached consumed offset, valid for the topic incarnation it was computed for.</summary>
    private readonly record struct Consumed(Guid TopicId, long Offset);
}
