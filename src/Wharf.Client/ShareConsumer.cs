using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Wharf.Client.Native;

namespace Wharf.Client;

/// <summary>
/// A KIP-932 share-group consumer ("queues for Kafka") over librdkafka's share-consumer C API, which
/// Confluent.Kafka's .NET API does not expose. Members of a share group read the same partitions together; each
/// delivered record is locked to one member until it is acknowledged or its lock expires.
/// </summary>
/// <remarks>
/// <para>
/// Lifecycle: construct (joins nothing yet), <see cref="Subscribe"/>, then loop <see cref="Consume"/> and, in
/// explicit mode, <see cref="Acknowledge"/> every record of the batch; optionally <see cref="CommitSync"/> or
/// <see cref="CommitAsync"/>; then <see cref="Close"/> (sends pending acknowledgements and leaves the group) and
/// <see cref="Dispose"/>. Dispose without Close closes too.
/// </para>
/// <para>
/// Acknowledgement: in implicit mode (librdkafka's default) the application never calls
/// <see cref="Acknowledge"/>; the previous batch is accepted by the next <see cref="Consume"/>,
/// <see cref="CommitSync"/> or <see cref="CommitAsync"/>, or by <see cref="Close"/>. In explicit mode
/// (<c>share.acknowledgement.mode=explicit</c>) every record of a batch must be acknowledged before the next
/// Consume. Acknowledgements travel on the next ShareFetch unless committed earlier.
/// </para>
/// <para>
/// Thread-safety: none, by librdkafka's design. One consumer must be used by one thread at a time; a call that
/// overlaps another on the same consumer throws <see cref="InvalidOperationException"/> at once instead of
/// reaching librdkafka. Dispose may come from another thread while a call blocks: the native consumer is then
/// destroyed when that call returns, and later calls throw <see cref="ObjectDisposedException"/>. There is no
/// wakeup: a blocked Consume or CommitSync ends only at its timeout. The acknowledgement-commit callback runs on
/// the calling thread, inside Consume, CommitSync, CommitAsync or Close; an exception it throws is rethrown by
/// that call once librdkafka has returned, or, when that call is a Consume that returned records, by the next
/// call, so that no batch is lost.
/// </para>
/// </remarks>
public sealed unsafe class ShareConsumer : IDisposable
{
    internal const string AcknowledgementModeKey = "share.acknowledgement.mode";

    /// <summary>Kafka's <c>default.api.timeout.ms</c>, used by <see cref="CommitSync"/> without a timeout.</summary>
    public static readonly TimeSpan DefaultCommitTimeout = TimeSpan.FromSeconds(60);

    private const int ErrorTextSize = 512;

    private readonly ShareConsumerHandle _handle;
    private readonly AcknowledgementCallbackState? _callback;
    private int _inCall;
    private volatile bool _disposed;
    private bool _closed;

    /// <summary>
    /// Creates the consumer from librdkafka properties (a <see cref="ShareConsumerConfig"/> or any pairs).
    /// <c>group.id</c> is required; <c>bootstrap.servers</c> is needed to get anywhere.
    /// </summary>
    /// <param name="config">The librdkafka properties, applied in order.</param>
    /// <param name="acknowledgementCommitted">
    /// Optional; called once per partition with the broker's answer to acknowledgements, however they were sent.
    /// Runs on the thread calling Consume, CommitSync, CommitAsync or Close.
    /// </param>
    /// <exception cref="ShareConsumerException">
    /// Code <c>_INVALID_ARG</c>: <c>group.id</c> is missing, <c>share.acknowledgement.mode</c> is neither
    /// "implicit" nor "explicit", a property is unknown or its value invalid, or librdkafka refused the
    /// configuration (for example a property not applicable to share consumers, such as <c>enable.auto.commit</c>).
    /// </exception>
    /// <exception cref="DllNotFoundException">No librdkafka 2.16+ with the share consumer could be loaded.</exception>
    public ShareConsumer(IEnumerable<KeyValuePair<string, string>> config, Action<ShareAcknowledgementCommit>? acknowledgementCommitted = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var properties = config.ToList();

        // Load and verify the library before any stub binds to it, so that its failure is the one reported.
        _ = LibrdkafkaLoader.Library;
        AcknowledgementMode = Validate(properties);

        _handle = CreateHandle(properties);
        if (acknowledgementCommitted is null)
            return;

        _callback = new AcknowledgementCallbackState(acknowledgementCommitted);
        var state = GCHandle.Alloc(_callback);
        _handle.OwnCallbackState(state);
        var error = LibrdkafkaNative.ShareSetAcknowledgementCommitCallback(_handle, &OnAcknowledgementCommit, GCHandle.ToIntPtr(state));
        if (error != 0)
        {
            var shareError = ShareError.FromNativeError(error);
            _handle.Dispose();
            throw new ShareConsumerException("Registering the acknowledgement-commit callback", shareError);
        }
    }

    /// <summary>The acknowledgement mode the consumer was created with.</summary>
    public ShareAcknowledgementMode AcknowledgementMode { get; }

    /// <summary>True while a call holds the consumer (tests use it to overlap calls deliberately).</summary>
    internal bool IsInCall => Volatile.Read(ref _inCall) != 0;

    /// <summary>
    /// Subscribes to exactly these topics, replacing any earlier subscription; an empty list unsubscribes. Returns
    /// at once: the broker assigns partitions through the share-group heartbeat, and unknown or unauthorised
    /// topics surface later as errors from <see cref="Consume"/>. No wildcards.
    /// </summary>
    /// <exception cref="ShareConsumerException">
    /// librdkafka refused: <c>_INVALID_ARG</c> for an empty or duplicated name, <c>_STATE</c> once closed,
    /// <c>_FATAL</c> after a fatal error.
    /// </exception>
    public void Subscribe(IEnumerable<string> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var names = topics.ToList();
        using var call = Enter();
        var list = LibrdkafkaNative.TopicPartitionListNew(names.Count);
        try
        {
            foreach (var name in names)
            {
                ArgumentNullException.ThrowIfNull(name, nameof(topics));
                // RD_KAFKA_PARTITION_UA (-1): only the topic field of a subscription is read.
                LibrdkafkaNative.TopicPartitionListAdd(list, name, -1);
            }

            ThrowIfError("Subscribe", LibrdkafkaNative.ShareSubscribe(_handle, list));
        }
        finally
        {
            LibrdkafkaNative.TopicPartitionListDestroy(list);
        }
    }

    /// <summary>Clears the subscription; the broker removes this member from the share group.</summary>
    /// <exception cref="ShareConsumerException">librdkafka refused, for example <c>_STATE</c> once closed.</exception>
    public void Unsubscribe()
    {
        using var call = Enter();
        ThrowIfError("Unsubscribe", LibrdkafkaNative.ShareUnsubscribe(_handle));
    }

    /// <summary>The topics currently subscribed to.</summary>
    public IReadOnlyList<string> Subscription()
    {
        using var call = Enter();
        ThrowIfError("Subscription", LibrdkafkaNative.ShareSubscription(_handle, out var list));
        try
        {
            var topics = new List<string>(list->Count);
            for (var i = 0; i < list->Count; i++)
                topics.Add(LibrdkafkaNative.Utf8(list->Elements[i].Topic) ?? "");
            return topics;
        }
        finally
        {
            LibrdkafkaNative.TopicPartitionListDestroy(list);
        }
    }

    /// <summary>
    /// Fetches one batch of records, waiting up to <paramref name="timeout"/> for one to arrive; an empty list
    /// when none did. The batch is copied into managed memory and librdkafka's copy freed before returning.
    /// Per-record errors arrive as records with <see cref="ShareRecord.Error"/> set. Calling Consume first sends
    /// the acknowledgements of the previous batch (in implicit mode, accepting it whole).
    /// </summary>
    /// <param name="timeout">How long to wait; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever.</param>
    /// <exception cref="ShareConsumerException">
    /// <c>_STATE</c> when not subscribed, closed, or (explicit mode) a record of the previous batch is not yet
    /// acknowledged; <c>TOPIC_AUTHORIZATION_FAILED</c>; or any fetch error, fatal ones with
    /// <see cref="ShareError.IsFatal"/> set.
    /// </exception>
    public IReadOnlyList<ShareRecord> Consume(TimeSpan timeout)
    {
        var timeoutMs = ToMilliseconds(timeout, nameof(timeout));
        using var call = Enter();
        var error = LibrdkafkaNative.SharePoll(_handle, timeoutMs, out var batch);
        try
        {
            if (error != 0)
            {
                var shareError = ShareError.FromNativeError(error);
                throw shareError.Code == LibrdkafkaNative.ErrState && AcknowledgementMode == ShareAcknowledgementMode.Explicit
                    ? new ShareConsumerException(shareError, $"Consume failed: {shareError}. In explicit acknowledgement mode every record of the previous batch must be acknowledged first.")
                    : new ShareConsumerException("Consume", shareError);
            }

            var records = CopyBatch(batch);
            // A callback failure must not cost the batch (in implicit mode it would be accepted unseen), so with
            // records in hand it waits for the next call.
            if (records.Count == 0)
                _callback?.RethrowPending();
            return records;
        }
        finally
        {
            LibrdkafkaNative.MessagesDestroy(batch);
        }
    }

    /// <summary>
    /// Records how a delivered record was handled (explicit mode only). The acknowledgement is sent with the next
    /// <see cref="Consume"/>, <see cref="CommitSync"/>, <see cref="CommitAsync"/> or <see cref="Close"/>.
    /// Acknowledging the same record again before it is sent replaces the type.
    /// </summary>
    /// <exception cref="ArgumentException">The record was not delivered by this consumer.</exception>
    /// <exception cref="InvalidOperationException">The consumer is in implicit acknowledgement mode.</exception>
    /// <exception cref="ShareConsumerException">
    /// <c>_STATE</c> when the record is no longer awaiting acknowledgement (already sent, or from an older batch)
    /// or the consumer is closed; <c>_INVALID_ARG</c> for an undefined <paramref name="type"/>.
    /// </exception>
    public void Acknowledge(ShareRecord record, AcknowledgeType type = AcknowledgeType.Accept)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (AcknowledgementMode != ShareAcknowledgementMode.Explicit)
            throw new InvalidOperationException($"Acknowledge needs {AcknowledgementModeKey}=explicit; in implicit mode the next Consume, commit or Close accepts the whole batch.");
        if (!ReferenceEquals(record.Owner, this))
            throw new ArgumentException($"Record {record} was not delivered by this consumer; only the consumer that delivered a record can acknowledge it.", nameof(record));
        if (!Enum.IsDefined(type))
            throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown acknowledgement type.");

        using var call = Enter();
        // By offset rather than by rd_kafka_message_t: the native batch is already freed, and librdkafka's
        // per-message variant looks the record up by topic, partition and offset in exactly the same way.
        var error = LibrdkafkaNative.ShareAcknowledgeOffset(_handle, record.Topic, record.Partition, record.Offset, (int)type);
        if (error != LibrdkafkaNative.ErrNoError)
            throw new ShareConsumerException($"Acknowledge {type} of {record}", ShareError.FromCode(error));
    }

    /// <summary>
    /// Sends all pending acknowledgements (in implicit mode, the whole previous batch) and waits for the brokers'
    /// answers. Returns one result per partition that had acknowledgements, empty when there were none. A
    /// partition that failed is reported in its result, not thrown: failed acknowledgements are not retried, and
    /// the records are delivered again once their locks expire.
    /// </summary>
    /// <param name="timeout">How long to wait; null for <see cref="DefaultCommitTimeout"/>.</param>
    /// <exception cref="ShareConsumerException">The call itself failed, for example <c>_STATE</c> once closed.</exception>
    public IReadOnlyList<SharePartitionCommitResult> CommitSync(TimeSpan? timeout = null)
    {
        var timeoutMs = ToMilliseconds(timeout ?? DefaultCommitTimeout, nameof(timeout));
        using var call = Enter();
        var error = LibrdkafkaNative.ShareCommitSync(_handle, timeoutMs, out var partitions);
        try
        {
            if (error != 0)
                throw new ShareConsumerException("CommitSync", ShareError.FromNativeError(error));

            var results = new List<SharePartitionCommitResult>(partitions is null ? 0 : partitions->Count);
            for (var i = 0; partitions is not null && i < partitions->Count; i++)
            {
                ref var partition = ref partitions->Elements[i];
                results.Add(new SharePartitionCommitResult(
                    LibrdkafkaNative.Utf8(partition.Topic) ?? "",
                    partition.Partition,
                    partition.Err == LibrdkafkaNative.ErrNoError ? null : ShareError.FromCode(partition.Err)));
            }

            _callback?.RethrowPending();
            return results;
        }
        finally
        {
            if (partitions is not null)
                LibrdkafkaNative.TopicPartitionListDestroy(partitions);
        }
    }

    /// <summary>
    /// Sends all pending acknowledgements without waiting for the answers, which reach the
    /// acknowledgement-commit callback (if one was given) during a later call. Despite the name (kept from Kafka's
    /// <c>commitAsync</c>) this returns nothing to await.
    /// </summary>
    /// <exception cref="ShareConsumerException">The call itself failed, for example <c>_STATE</c> once closed.</exception>
    public void CommitAsync()
    {
        using var call = Enter();
        var error = LibrdkafkaNative.ShareCommitAsync(_handle);
        if (error != 0)
            throw new ShareConsumerException("CommitAsync", ShareError.FromNativeError(error));
        _callback?.RethrowPending();
    }

    /// <summary>
    /// Sends pending acknowledgements and leaves the share group, blocking for at most about
    /// <c>socket.timeout.ms</c>. Calling it again does nothing. Every other call fails afterwards; dispose the
    /// consumer.
    /// </summary>
    /// <exception cref="ShareConsumerException">librdkafka reported a failure, for example <c>_FATAL</c>.</exception>
    public void Close()
    {
        using var call = Enter();
        if (_closed)
            return;
        var error = LibrdkafkaNative.ShareConsumerClose(_handle);
        _closed = true;
        if (error != 0)
            throw new ShareConsumerException("Close", ShareError.FromNativeError(error));
        _callback?.RethrowPending();
    }

    /// <summary>
    /// Destroys the native consumer, closing it first if <see cref="Close"/> was not called (which blocks like
    /// Close). Safe to call more than once and from another thread (see the class remarks).
    /// </summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _handle.Dispose();
    }

    /// <summary>
    /// Maps librdkafka's value, compared as librdkafka compares it (exactly); null for unset or anything else.
    /// </summary>
    internal static ShareAcknowledgementMode? ParseAcknowledgementMode(string? value) => value switch
    {
        "implicit" => ShareAcknowledgementMode.Implicit,
        "explicit" => ShareAcknowledgementMode.Explicit,
        _ => null,
    };

    /// <summary>
    /// Checks what librdkafka 2.16 accepts at creation but cannot work with, and returns the acknowledgement mode.
    /// </summary>
    private static ShareAcknowledgementMode Validate(List<KeyValuePair<string, string>> properties)
    {
        string? groupId = null;
        string? mode = null;
        foreach (var (key, value) in properties)
        {
            if (key == "group.id")
                groupId = value;
            else if (key == AcknowledgementModeKey)
                mode = value;
        }

        // Without group.id the consumer is created anyway and only Subscribe fails, with _UNKNOWN_GROUP.
        if (string.IsNullOrEmpty(groupId))
            throw InvalidConfiguration("group.id is required: a share consumer always belongs to a share group.");

        // librdkafka stores any string here and compares it exactly with "implicit" and "explicit"; any other value
        // (even "Explicit") silently gives a consumer in neither mode, which never accepts a batch by itself.
        if (mode is null)
            return ShareAcknowledgementMode.Implicit;
        return ParseAcknowledgementMode(mode)
            ?? throw InvalidConfiguration($"{AcknowledgementModeKey} must be \"implicit\" or \"explicit\" (lower case), not \"{mode}\".");
    }

    private static ShareConsumerException InvalidConfiguration(string reason)
    {
        var error = ShareError.FromCode(LibrdkafkaNative.ErrInvalidArg, reason);
        return new ShareConsumerException(error, $"Invalid share consumer configuration: {reason}");
    }

    private static ShareConsumerHandle CreateHandle(List<KeyValuePair<string, string>> properties)
    {
        var errorText = stackalloc byte[ErrorTextSize];
        var conf = LibrdkafkaNative.ConfNew();
        try
        {
            foreach (var (key, value) in properties)
            {
                ArgumentNullException.ThrowIfNull(key, nameof(properties));
                ArgumentNullException.ThrowIfNull(value, nameof(properties));
                errorText[0] = 0;
                if (LibrdkafkaNative.ConfSet(conf, key, value, errorText, ErrorTextSize) != LibrdkafkaNative.ConfOk)
                {
                    throw InvalidConfiguration($"{key}={value}: {Text(errorText)}");
                }
            }

            errorText[0] = 0;
            var share = LibrdkafkaNative.ShareConsumerNew(conf, errorText, ErrorTextSize);
            if (share == 0)
            {
                // On failure the configuration is still the caller's to destroy.
                throw InvalidConfiguration(Text(errorText));
            }

            conf = 0; // now owned by the share consumer
            return new ShareConsumerHandle(share);
        }
        finally
        {
            if (conf != 0)
                LibrdkafkaNative.ConfDestroy(conf);
        }
    }

    private static string Text(byte* nulTerminated) => Marshal.PtrToStringUTF8((nint)nulTerminated) ?? "";

    private IReadOnlyList<ShareRecord> CopyBatch(nint batch)
    {
        var count = (int)LibrdkafkaNative.MessagesCount(batch);
        if (count == 0)
            return [];

        var records = new ShareRecord[count];
        for (var i = 0; i < count; i++)
            records[i] = CopyRecord(LibrdkafkaNative.MessagesGet(batch, (nuint)i));
        return records;
    }

    private ShareRecord CopyRecord(LibrdkafkaNative.Message* message)
    {
        var topic = message->Topic == 0 ? "" : LibrdkafkaNative.Utf8(LibrdkafkaNative.TopicName(message->Topic)) ?? "";
        var deliveryCount = LibrdkafkaNative.MessageDeliveryCount(message);
        if (message->Err != LibrdkafkaNative.ErrNoError)
        {
            var error = ShareError.FromCode(message->Err, LibrdkafkaNative.Utf8(LibrdkafkaNative.MessageErrorString(message)));
            return new ShareRecord(this, topic, message->Partition, message->Offset, key: null, value: null, [], timestamp: null, RecordTimestampType.NotAvailable, deliveryCount, error);
        }

        var timestampMs = LibrdkafkaNative.MessageTimestamp(message, out var timestampType);
        var hasTimestamp = timestampType != (int)RecordTimestampType.NotAvailable && timestampMs >= 0;
        return new ShareRecord(
            this,
            topic,
            message->Partition,
            message->Offset,
            Copy(message->Key, message->KeyLength),
            Copy(message->Payload, message->Length),
            CopyHeaders(message),
            hasTimestamp ? DateTimeOffset.FromUnixTimeMilliseconds(timestampMs) : null,
            hasTimestamp ? (RecordTimestampType)timestampType : RecordTimestampType.NotAvailable,
            deliveryCount,
            error: null);
    }

    private static IReadOnlyList<ShareHeader> CopyHeaders(LibrdkafkaNative.Message* message)
    {
        var status = LibrdkafkaNative.MessageHeaders(message, out var headers);
        if (status == LibrdkafkaNative.ErrNoEntry)
            return [];
        if (status != LibrdkafkaNative.ErrNoError)
            throw new ShareConsumerException("Reading record headers", ShareError.FromCode(status));

        var copied = new List<ShareHeader>();
        for (nuint i = 0; LibrdkafkaNative.HeaderGetAll(headers, i, out var name, out var value, out var size) == LibrdkafkaNative.ErrNoError; i++)
            copied.Add(new ShareHeader(LibrdkafkaNative.Utf8(name) ?? "", Copy(value, size)));
        return copied;
    }

    private static byte[]? Copy(nint data, nuint length) =>
        data == 0 ? null : new ReadOnlySpan<byte>((void*)data, checked((int)length)).ToArray();

    private static int ToMilliseconds(TimeSpan timeout, string parameter)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
            return -1;
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero, parameter);
        return (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
    }

    private static void ThrowIfError(string operation, int error)
    {
        if (error != LibrdkafkaNative.ErrNoError)
            throw new ShareConsumerException(operation, ShareError.FromCode(error));
    }

    /// <summary>Marks the consumer busy for one call; throws if it is disposed or another call is running.</summary>
    private CallScope Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.CompareExchange(ref _inCall, 1, 0) != 0)
            throw new InvalidOperationException(
                "ShareConsumer is not thread-safe: another call on this consumer is still running. Use one consumer per thread, or serialise the calls.");
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _callback?.RethrowPending();
        }
        catch
        {
            Volatile.Write(ref _inCall, 0);
            throw;
        }

        return new CallScope(this);
    }

    private readonly ref struct CallScope(ShareConsumer consumer)
    {
        public void Dispose() => Volatile.Write(ref consumer._inCall, 0);
    }

    [UnmanagedCallersOnly]
    private static void OnAcknowledgementCommit(nint share, nint partitions, int error, nint opaque)
    {
        // librdkafka calls this on the application's thread, inside one of our calls; an exception must not
        // unwind through native frames, so the state keeps it for that call to rethrow.
        var state = (AcknowledgementCallbackState)GCHandle.FromIntPtr(opaque).Target!;
        try
        {
            var count = (int)LibrdkafkaNative.PartitionOffsetsListCount(partitions);
            for (var i = 0; i < count; i++)
            {
                var entry = LibrdkafkaNative.PartitionOffsetsListGet(partitions, (nuint)i);
                var partition = LibrdkafkaNative.PartitionOffsetsPartition(entry);
                var offsets = new ReadOnlySpan<long>(
                    LibrdkafkaNative.PartitionOffsetsOffsets(entry),
                    checked((int)LibrdkafkaNative.PartitionOffsetsOffsetsCount(entry))).ToArray();
                var code = partition->Err != LibrdkafkaNative.ErrNoError ? partition->Err : error;
                state.Callback(new ShareAcknowledgementCommit(
                    LibrdkafkaNative.Utf8(partition->Topic) ?? "",
                    partition->Partition,
                    offsets,
                    code == LibrdkafkaNative.ErrNoError ? null : ShareError.FromCode(code)));
            }
        }
        catch (Exception e)
        {
            state.Pending ??= e;
        }
    }

    /// <summary>What the callback's opaque pointer leads to: the application's delegate and its first failure.</summary>
    private sealed class AcknowledgementCallbackState(Action<ShareAcknowledgementCommit> callback)
    {
        public Action<ShareAcknowledgementCommit> Callback { get; } = callback;

        public Exception? Pending { get; set; }

        public void RethrowPending()
        {
            if (Pending is not { } pending)
                return;
            Pending = null;
            ExceptionDispatchInfo.Throw(pending);
        }
    }
}
