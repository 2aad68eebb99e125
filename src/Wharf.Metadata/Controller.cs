using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata;

/// <summary>Limits and policies of the <see cref="Controller"/>.</summary>
public sealed record ControllerOptions
{
    /// <summary>Most partitions one topic may have (CreateTopics / CreatePartitions beyond it: INVALID_PARTITIONS).</summary>
    public int MaxPartitionsPerTopic { get; init; } = 10_000;

    /// <summary>Producer ids per AllocateProducerIds block (KRaft's size).</summary>
    public int ProducerIdBlockSize { get; init; } = 1000;

    /// <summary>Write a snapshot (and compact the log) once this many records follow the last one; 0 never.</summary>
    public long SnapshotEveryRecords { get; init; } = 10_000;

    /// <summary>Topic id source (tests pass a seeded one); random by default.</summary>
    public Func<Guid>? NewTopicId { get; init; }
}

/// <summary>
/// The controller (design §6): validates admin requests against the current <see cref="MetadataImage"/>, turns
/// accepted changes into metadata records, appends them to the <see cref="IMetadataLog"/> and applies them. On a
/// single node this node is always the controller (epoch 1). In a cluster every node has one: it follows the log
/// (<see cref="ApplyCommitted"/>, driven by <see cref="ControllerService"/>), and only the node that won the election
/// and was <see cref="Activate"/>d writes; elsewhere every change answers NOT_CONTROLLER (the broker forwards admin
/// requests to the active controller). Every operation returns a Kafka error code and message per item; a failed
/// append fails every item of that request and leaves the image unchanged.
/// <para>
/// Thread-safety: changes are serialised by one semaphore (a single writer); each validates against the image
/// left by the previous one, so of two concurrent creates of one topic exactly one wins. Readers call
/// <see cref="Current"/> from any thread without locking: it is a volatile reference to an immutable image that
/// only ever moves forward. Images are published under a publish lock, by offset and once each (a batch this node
/// committed and then sees again through the follow loop is not applied twice); <see cref="ImageChanged"/> is raised
/// for each, in offset order, under that lock: handlers must be quick and must not wait for a controller operation.
/// Lock order: writer semaphore, then publish lock.
/// </para>
/// Lifecycle: built by <see cref="MetadataLoader"/> (or directly over a replayed image in tests); owns the log
/// and disposes it in <see cref="DisposeAsync"/>.
/// </summary>
public sealed partial class Controller : IAsyncDisposable
{
    private readonly IMetadataLog _log;
    private readonly ControllerOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly Lock _publishLock = new();
    private int _epoch;
    private readonly Guid _incarnationId = Guid.NewGuid();
    private MetadataImage _current;
    private long _lastSnapshotOffset;

    public Controller(IMetadataLog log, MetadataImage image, BrokerConfig config, ControllerOptions? options = null, ILogger? logger = null)
    {
        _log = log;
        _current = image;
        Config = config;
        TopicConfigs = new TopicConfigResolver(config);
        GroupConfigs = new GroupConfigResolver(config);
        _options = options ?? new ControllerOptions();
        _logger = logger ?? NullLogger.Instance;
        _epoch = log.Leadership.Epoch;
        _lastSnapshotOffset = log.LatestSnapshot?.Offset ?? -1;
    }

    /// <summary>Raised after every committed change with the images before and after it.</summary>
    public event Action<MetadataImage, MetadataImage>? ImageChanged;

    /// <summary>The newest committed image. Never null; never goes back.</summary>
    public MetadataImage Current => Volatile.Read(ref _current);

    public BrokerConfig Config { get; }

    /// <summary>Effective topic configs for DescribeConfigs and for building partition logs.</summary>
    public TopicConfigResolver TopicConfigs { get; }

    /// <summary>Effective group configs (resource type GROUP) for DescribeConfigs and the share coordinator.</summary>
    public GroupConfigResolver GroupConfigs { get; }

    /// <summary>True while the log names this node as the controller at the epoch this controller was activated with.</summary>
    public bool IsActive => _log.Leadership.ControllerId == Config.NodeId && _log.Leadership.Epoch == Volatile.Read(ref _epoch);

    /// <summary>The active controller as this node knows it (the log's view).</summary>
    public MetadataLeadership Leadership => _log.Leadership;

    /// <summary>
    /// Makes this node's controller write at <paramref name="leadership"/>'s epoch, after it won an election and
    /// replayed the log to the commit point (<see cref="ControllerService"/> does both). From then on
    /// <see cref="IsActive"/> holds until another controller is elected.
    /// </summary>
    public void Activate(MetadataLeadership leadership)
    {
        if (leadership.ControllerId != Config.NodeId)
        {
            throw new ArgumentException($"Leadership names node {leadership.ControllerId}, not this node ({Config.NodeId}).", nameof(leadership));
        }

        Volatile.Write(ref _epoch, leadership.Epoch);
        _logger.LogInformation("Node {Node} is the active controller at epoch {Epoch} (metadata offset {Offset})", Config.NodeId, leadership.Epoch, Current.Offset);
    }

    /// <summary>
    /// Applies a batch committed by whichever controller wrote it (the follow loop of <see cref="ControllerService"/>);
    /// a batch this image already holds (this node's own commit) is skipped. Returns the image after it.
    /// </summary>
    /// <exception cref="InvalidDataException">the batch does not fit the image.</exception>
    public MetadataImage ApplyCommitted(MetadataBatch batch)
    {
        lock (_publishLock)
        {
            var current = Current;
            return batch.LastOffset <= current.Offset ? current : PublishLocked(current, current.Apply(batch));
        }
    }

    /// <summary>
    /// Completes once <see cref="Current"/> satisfies <paramref name="condition"/> (at once if it does now); waits on
    /// <see cref="ImageChanged"/>, never polls. Cancel it to give up.
    /// </summary>
    public async Task<MetadataImage> WaitForImageAsync(Func<MetadataImage, bool> condition, CancellationToken cancellationToken)
    {
        var reached = new TaskCompletionSource<MetadataImage>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(MetadataImage before, MetadataImage after)
        {
            if (condition(after))
            {
                reached.TrySetResult(after);
            }
        }

        ImageChanged += Check;
        try
        {
            var current = Current;
            return condition(current) ? current : await reached.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ImageChanged -= Check;
        }
    }

    /// <summary>Replaces the image with one rebuilt from a snapshot newer than it (a follower that fell behind a compaction).</summary>
    public void ResetTo(MetadataImage image)
    {
        lock (_publishLock)
        {
            if (image.Offset > Current.Offset)
            {
                PublishLocked(Current, image);
            }
        }
    }

    /// <summary>
    /// Records this node's endpoints in the metadata (a RegisterBrokerRecord) unless they are already there. The
    /// broker calls it again after binding when a listener asked for port 0.
    /// </summary>
    public async Task<(ErrorCode Error, string? Message)> RegisterBrokerAsync(IReadOnlyList<Listener> endpoints, string? rack, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = Current.LocalBroker;
            if (current is not null && current.Endpoints.SequenceEqual(endpoints) && current.Rack == rack)
            {
                return (ErrorCode.None, null);
            }

            return await CommitAsync([new RegisterBrokerRecord(Config.NodeId, _incarnationId, [.. endpoints], rack)]).ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// Hands out the next block of producer ids (AllocateProducerIds / InitProducerId). Blocks never overlap,
    /// also across restarts, because the block's end is committed before the block is returned.
    /// </summary>
    public async Task<AllocateProducerIdsResult> AllocateProducerIdBlockAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (NotControllerError() is { } notController)
            {
                return new AllocateProducerIdsResult(ErrorCode.NotController, notController, default);
            }

            var first = Current.NextProducerId;
            var size = _options.ProducerIdBlockSize;
            if (first > long.MaxValue - size)
            {
                return new AllocateProducerIdsResult(ErrorCode.UnknownServerError, "Producer ids are exhausted.", default);
            }

            var (error, message) = await CommitAsync([new ProducerIdsRecord(brokerId, brokerEpoch, first + size)]).ConfigureAwait(false);
            return error == ErrorCode.None
                ? new AllocateProducerIdsResult(ErrorCode.None, null, new ProducerIdBlock(brokerId, first, size))
                : new AllocateProducerIdsResult(error, message, default);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// Commits the records of the items of a batch request that passed validation (<paramref name="accepted"/>, indices
    /// into <paramref name="results"/>) in one append; when the append fails, each accepted item's result becomes
    /// <paramref name="failed"/> with the append's error. Nothing to commit does nothing.
    /// </summary>
    private async Task CommitAcceptedAsync<TResult>(List<MetadataRecord> records, List<int> accepted, TResult[] results, Func<int, ErrorCode, string?, TResult> failed)
    {
        if (records.Count == 0)
        {
            return;
        }

        var (error, message) = await CommitAsync(records).ConfigureAwait(false);
        if (error != ErrorCode.None)
        {
            foreach (var i in accepted)
            {
                results[i] = failed(i, error, message);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.WaitAsync().ConfigureAwait(false);
        try
        {
            await _log.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Null when this node may write metadata, else the NOT_CONTROLLER message.</summary>
    private string? NotControllerError() => IsActive
        ? null
        : $"This node ({Config.NodeId}) is not the active controller; the controller is node {_log.Leadership.ControllerId}.";

    /// <summary>
    /// Appends <paramref name="records"/>, then publishes the image with them applied. The caller holds the writer
    /// lock and has validated the records against <see cref="Current"/>. Not cancellable once started, so a
    /// change is never half-reported.
    /// </summary>
    private async Task<(ErrorCode Error, string? Message)> CommitAsync(IReadOnlyList<MetadataRecord> records)
    {
        var before = Current;
        var after = before;
        foreach (var record in records)
        {
            after = after.Apply(record);
        }

        long offset;
        try
        {
            offset = await _log.AppendAsync(records, Volatile.Read(ref _epoch), CancellationToken.None).ConfigureAwait(false);
        }
        catch (NotControllerException e)
        {
            return (ErrorCode.NotController, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(e, "Metadata change of {Count} records failed", records.Count);
            return (ErrorCode.UnknownServerError, $"The metadata log could not store the change: {e.Message}");
        }

        after = after.WithOffset(offset);
        lock (_publishLock)
        {
            // The follow loop may have published this very batch first; publishing is by offset, once.
            if (offset > Current.Offset)
            {
                PublishLocked(Current, after);
            }
        }

        await MaybeSnapshotAsync(after).ConfigureAwait(false);
        return (ErrorCode.None, null);
    }

    /// <summary>Publishes <paramref name="after"/> and raises <see cref="ImageChanged"/>; the caller holds the publish lock.</summary>
    private MetadataImage PublishLocked(MetadataImage before, MetadataImage after)
    {
        Volatile.Write(ref _current, after);
        try
        {
            ImageChanged?.Invoke(before, after);
        }
#pragma warning disable CA1031 // A faulty listener must not undo or fail a committed change.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "An ImageChanged handler failed at metadata offset {Offset}", after.Offset);
        }

        return after;
    }

    private async Task MaybeSnapshotAsync(MetadataImage image)
    {
        if (_options.SnapshotEveryRecords <= 0 || image.Offset - _lastSnapshotOffset < _options.SnapshotEveryRecords)
        {
            return;
        }

        try
        {
            await _log.WriteSnapshotAsync(new MetadataSnapshot(image.Offset, image.ToRecords()), CancellationToken.None).ConfigureAwait(false);
            _lastSnapshotOffset = image.Offset;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "Metadata snapshot at offset {Offset} failed; the log keeps growing until one succeeds", image.Offset);
        }
    }

    /// <summary>The brokers new replicas may go to: the live (unfenced) ones; before any registration, this node.</summary>
    private ImmutableArray<int> BrokerIds(MetadataImage image) =>
        image.Brokers.IsEmpty ? [Config.NodeId] : [.. image.LiveBrokers.Select(b => b.NodeId)];

    private Guid NewTopicId(MetadataImage image)
    {
        Span<byte> bytes = stackalloc byte[16];
        while (true)
        {
            var id = _options.NewTopicId?.Invoke() ?? Guid.NewGuid();
            id.TryWriteBytes(bytes, bigEndian: true, out _);

            // Kafka reserves the zero and one UUIDs and never issues one whose base64 text starts with '-'.
            var reserved = id == Guid.Empty || id == new Guid(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
            if (!reserved && bytes[0] >> 2 != 62 && !image.TopicsById.ContainsKey(id))
            {
                return id;
            }
        }
    }
}
