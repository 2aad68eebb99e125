using System.Runtime.InteropServices;

namespace Wharf.Client.Native;

/// <summary>
/// The slice of librdkafka's C API (rdkafka.h, 2.16) that the share consumer uses, as source-generated
/// P/Invoke stubs.
/// </summary>
/// <remarks>
/// Every stub binds to the library that <see cref="LibrdkafkaLoader"/> chose and verified: the type initialiser
/// installs the assembly's DllImport resolver before any stub can run. Strings returned by librdkafka
/// (<c>const char*</c>) are owned by it and come back as raw pointers, so that no marshaller frees them.
/// Thread-safety: the functions are as thread-safe as librdkafka says; the share-consumer ones are not
/// (see <see cref="ShareConsumer"/>).
/// </remarks>
internal static unsafe partial class LibrdkafkaNative
{
    internal const string LibraryName = "librdkafka";

    // rd_kafka_resp_err_t values used by the wrapper (rdkafka.h, enum rd_kafka_resp_err_t).
    internal const int ErrNoError = 0;
    internal const int ErrInvalidArg = -186;
    internal const int ErrNoEntry = -156;
    internal const int ErrState = -172;

    // rd_kafka_conf_res_t.
    internal const int ConfOk = 0;

    static LibrdkafkaNative() => LibrdkafkaLoader.InstallResolver(typeof(LibrdkafkaNative).Assembly);

    /// <summary>Layout of <c>rd_kafka_message_t</c> (rdkafka.h); read only, never written.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Message
    {
        public int Err;
        public nint Topic;
        public int Partition;
        public nint Payload;
        public nuint Length;
        public nint Key;
        public nuint KeyLength;
        public long Offset;
        public nint Private;
    }

    /// <summary>Layout of <c>rd_kafka_topic_partition_t</c> (rdkafka.h); read only.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TopicPartition
    {
        public nint Topic;
        public int Partition;
        public long Offset;
        public nint Metadata;
        public nuint MetadataSize;
        public nint Opaque;
        public int Err;
        public nint Private;
    }

    /// <summary>Layout of <c>rd_kafka_topic_partition_list_t</c> (rdkafka.h); read only.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TopicPartitionList
    {
        public int Count;
        public int Size;
        public TopicPartition* Elements;
    }

    // --- version and errors ---

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_version")]
    internal static partial int Version();

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_version_str")]
    internal static partial nint VersionString();

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_err2name")]
    internal static partial nint ErrorCodeName(int code);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_err2str")]
    internal static partial nint ErrorCodeDescription(int code);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_error_code")]
    internal static partial int ErrorCode(nint error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_error_name")]
    internal static partial nint ErrorName(nint error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_error_string")]
    internal static partial nint ErrorString(nint error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_error_is_fatal")]
    internal static partial int ErrorIsFatal(nint error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_error_is_retriable")]
    internal static partial int ErrorIsRetriable(nint error);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_error_destroy")]
    internal static partial void ErrorDestroy(nint error);

    // --- configuration ---

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_new")]
    internal static partial nint ConfNew();

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ConfSet(nint conf, string name, string value, byte* errorText, nuint errorTextSize);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_conf_destroy")]
    internal static partial void ConfDestroy(nint conf);

    // --- topic partition lists ---

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_topic_partition_list_new")]
    internal static partial TopicPartitionList* TopicPartitionListNew(int size);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_topic_partition_list_add", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint TopicPartitionListAdd(TopicPartitionList* list, string topic, int partition);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_topic_partition_list_destroy")]
    internal static partial void TopicPartitionListDestroy(TopicPartitionList* list);

    // --- messages ---

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_messages_count")]
    internal static partial nuint MessagesCount(nint messages);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_messages_get")]
    internal static partial Message* MessagesGet(nint messages, nuint index);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_messages_destroy")]
    internal static partial void MessagesDestroy(nint messages);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_topic_name")]
    internal static partial nint TopicName(nint topic);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_message_errstr")]
    internal static partial nint MessageErrorString(Message* message);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_message_timestamp")]
    internal static partial long MessageTimestamp(Message* message, out int timestampType);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_message_headers")]
    internal static partial int MessageHeaders(Message* message, out nint headers);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_header_get_all")]
    internal static partial int HeaderGetAll(nint headers, nuint index, out nint name, out nint value, out nuint size);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_message_delivery_count")]
    internal static partial short MessageDeliveryCount(Message* message);

    // --- share consumer ---

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_consumer_new")]
    internal static partial nint ShareConsumerNew(nint conf, byte* errorText, nuint errorTextSize);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_set_acknowledgement_commit_cb")]
    internal static partial nint ShareSetAcknowledgementCommitCallback(
        ShareConsumerHandle share, delegate* unmanaged<nint, nint, int, nint, void> callback, nint opaque);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_subscribe")]
    internal static partial int ShareSubscribe(ShareConsumerHandle share, TopicPartitionList* topics);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_unsubscribe")]
    internal static partial int ShareUnsubscribe(ShareConsumerHandle share);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_subscription")]
    internal static partial int ShareSubscription(ShareConsumerHandle share, out TopicPartitionList* topics);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_poll")]
    internal static partial nint SharePoll(ShareConsumerHandle share, int timeoutMs, out nint messages);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_acknowledge_offset", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ShareAcknowledgeOffset(ShareConsumerHandle share, string topic, int partition, long offset, int type);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_commit_async")]
    internal static partial nint ShareCommitAsync(ShareConsumerHandle share);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_commit_sync")]
    internal static partial nint ShareCommitSync(ShareConsumerHandle share, int timeoutMs, out TopicPartitionList* partitions);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_consumer_close")]
    internal static partial nint ShareConsumerClose(ShareConsumerHandle share);

    /// <summary>Takes the raw pointer: it runs from <see cref="ShareConsumerHandle.ReleaseHandle"/>.</summary>
    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_destroy")]
    internal static partial nint ShareDestroy(nint share);

    // --- acknowledgement-commit callback payload ---

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_partition_offsets_list_count")]
    internal static partial nuint PartitionOffsetsListCount(nint list);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_partition_offsets_list_get")]
    internal static partial nint PartitionOffsetsListGet(nint list, nuint index);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_partition_offsets_partition")]
    internal static partial TopicPartition* PartitionOffsetsPartition(nint partitionOffsets);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_partition_offsets_offsets")]
    internal static partial long* PartitionOffsetsOffsets(nint partitionOffsets);

    [LibraryImport(LibraryName, EntryPoint = "rd_kafka_share_partition_offsets_offsets_cnt")]
    internal static partial nuint PartitionOffsetsOffsetsCount(nint partitionOffsets);

    /// <summary>A librdkafka-owned, NUL-terminated UTF-8 string, or null for a null pointer.</summary>
    internal static string? Utf8(nint text) => text == 0 ? null : Marshal.PtrToStringUTF8(text);
}
