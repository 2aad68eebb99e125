using System.Runtime.InteropServices;
using System.Text;
using Wharf.Testing;
using static Wharf.Queue.Tests.QueueFixture;

namespace Wharf.Queue.Tests;

/// <summary>
/// librdkafka's share-consumer C API called directly (function pointers into the same library Wharf.Client loads), not
/// through Wharf.Client: what a C, Go or Python binding over librdkafka 2.16 would send.
/// </summary>
public sealed class ShareCApiTests
{
    private const int AcknowledgeAccept = 1;

    [Fact]
    public async Task CApiShareConsumer_ConsumesAcknowledgesAndCommits_EveryRecordOnce()
    {
        await using var broker = await WharfBroker.StartAsync();
        await broker.CreateTopicAsync("capi");
        await SetGroupConfigsAsync(broker.BootstrapServers, "capi-group", ("share.auto.offset.reset", "earliest"));
        await ProduceAsync(broker.BootstrapServers, "capi", 100);

        var seen = ConsumeThroughTheCApi(broker.BootstrapServers, "capi", "capi-group", 100);

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), seen.Select(s => s.Offset).Order());
        Assert.All(seen, s => Assert.Equal($"m{s.Offset}", s.Value));
        Assert.All(seen, s => Assert.Equal(1, s.DeliveryCount));
    }

    private static unsafe List<(long Offset, string Value, short DeliveryCount)> ConsumeThroughTheCApi(string bootstrap, string topicName, string group, int count)
    {
        var api = new Api(NativeLibrary.Load(Wharf.Client.Librdkafka.Path));
        var conf = api.ConfNew();
        Set(api, conf, "bootstrap.servers", bootstrap);
        Set(api, conf, "group.id", group);
        Set(api, conf, "share.acknowledgement.mode", "explicit");
        var error = stackalloc byte[512];
        var consumer = api.ShareConsumerNew(conf, error, 512);
        Assert.True(consumer != 0, Marshal.PtrToStringUTF8((nint)error));
        var seen = new List<(long Offset, string Value, short DeliveryCount)>();
        try
        {
            var topics = api.ListNew(1);
            using (var name = new Utf8(topicName))
            {
                api.ListAdd(topics, name.Pointer, -1);
            }

            Assert.Equal(0, api.ShareSubscribe(consumer, topics));
            api.ListDestroy(topics);

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (seen.Count < count && DateTime.UtcNow < deadline)
            {
                nint messages = 0;
                var pollError = api.SharePoll(consumer, 500, &messages);
                Assert.True(pollError == 0, "rd_kafka_share_poll failed");
                if (messages == 0)
                {
                    continue;
                }

                for (nuint i = 0; i < api.MessagesCount(messages); i++)
                {
                    var message = api.MessagesGet(messages, i);
                    Assert.Equal(0, message->Err);
                    seen.Add((message->Offset, Encoding.UTF8.GetString((byte*)message->Payload, (int)message->Length), api.DeliveryCount(message)));
                    using var topic = new Utf8(topicName);
                    Assert.Equal(0, api.AcknowledgeOffset(consumer, topic.Pointer, message->Partition, message->Offset, AcknowledgeAccept));
                }

                api.MessagesDestroy(messages);
                nint committed = 0;
                Assert.True(api.ShareCommitSync(consumer, 10_000, &committed) == 0, "rd_kafka_share_commit_sync failed");
                if (committed != 0)
                {
                    api.ListDestroy(committed);
                }
            }
        }
        finally
        {
            api.ShareConsumerClose(consumer);
            api.ShareDestroy(consumer);
        }

        return seen;
    }

    private static unsafe void Set(Api api, nint conf, string name, string value)
    {
        using var key = new Utf8(name);
        using var text = new Utf8(value);
        var error = stackalloc byte[512];
        Assert.True(api.ConfSet(conf, key.Pointer, text.Pointer, error, 512) == 0, Marshal.PtrToStringUTF8((nint)error));
    }

    /// <summary>rd_kafka_message_t (rdkafka.h): the fields read here, in declaration order.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Message
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

    /// <summary>A NUL-terminated UTF-8 copy of a string in unmanaged memory.</summary>
    private readonly unsafe struct Utf8(string text) : IDisposable
    {
        public byte* Pointer { get; } = (byte*)Marshal.StringToCoTaskMemUTF8(text);

        public void Dispose() => Marshal.FreeCoTaskMem((nint)Pointer);
    }

    /// <summary>The C functions, bound by name.</summary>
    private sealed unsafe class Api(nint library)
    {
        public delegate* unmanaged<nint> ConfNew { get; } = (delegate* unmanaged<nint>)NativeLibrary.GetExport(library, "rd_kafka_conf_new");

        public delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int> ConfSet { get; } = (delegate* unmanaged<nint, byte*, byte*, byte*, nuint, int>)NativeLibrary.GetExport(library, "rd_kafka_conf_set");

        public delegate* unmanaged<nint, byte*, nuint, nint> ShareConsumerNew { get; } = (delegate* unmanaged<nint, byte*, nuint, nint>)NativeLibrary.GetExport(library, "rd_kafka_share_consumer_new");

        public delegate* unmanaged<int, nint> ListNew { get; } = (delegate* unmanaged<int, nint>)NativeLibrary.GetExport(library, "rd_kafka_topic_partition_list_new");

        public delegate* unmanaged<nint, byte*, int, nint> ListAdd { get; } = (delegate* unmanaged<nint, byte*, int, nint>)NativeLibrary.GetExport(library, "rd_kafka_topic_partition_list_add");

        public delegate* unmanaged<nint, void> ListDestroy { get; } = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(library, "rd_kafka_topic_partition_list_destroy");

        public delegate* unmanaged<nint, nint, int> ShareSubscribe { get; } = (delegate* unmanaged<nint, nint, int>)NativeLibrary.GetExport(library, "rd_kafka_share_subscribe");

        public delegate* unmanaged<nint, int, nint*, nint> SharePoll { get; } = (delegate* unmanaged<nint, int, nint*, nint>)NativeLibrary.GetExport(library, "rd_kafka_share_poll");

        public delegate* unmanaged<nint, nuint> MessagesCount { get; } = (delegate* unmanaged<nint, nuint>)NativeLibrary.GetExport(library, "rd_kafka_messages_count");

        public delegate* unmanaged<nint, nuint, Message*> MessagesGet { get; } = (delegate* unmanaged<nint, nuint, Message*>)NativeLibrary.GetExport(library, "rd_kafka_messages_get");

        public delegate* unmanaged<nint, void> MessagesDestroy { get; } = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(library, "rd_kafka_messages_destroy");

        public delegate* unmanaged<Message*, short> DeliveryCount { get; } = (delegate* unmanaged<Message*, short>)NativeLibrary.GetExport(library, "rd_kafka_message_delivery_count");

        public delegate* unmanaged<nint, byte*, int, long, int, int> AcknowledgeOffset { get; } = (delegate* unmanaged<nint, byte*, int, long, int, int>)NativeLibrary.GetExport(library, "rd_kafka_share_acknowledge_offset");

        public delegate* unmanaged<nint, int, nint*, nint> ShareCommitSync { get; } = (delegate* unmanaged<nint, int, nint*, nint>)NativeLibrary.GetExport(library, "rd_kafka_share_commit_sync");

        public delegate* unmanaged<nint, nint> ShareConsumerClose { get; } = (delegate* unmanaged<nint, nint>)NativeLibrary.GetExport(library, "rd_kafka_share_consumer_close");

        public delegate* unmanaged<nint, void> ShareDestroy { get; } = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(library, "rd_kafka_share_destroy");
    }
}
