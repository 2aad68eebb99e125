using System.Buffers.Binary;
using System.Text;
using Wharf.LoadGen.Cluster;

namespace Wharf.Benchmarks.Tests;

/// <summary>The cluster benchmark's own Metadata v4 client: what it sends, and how it reads an answer.</summary>
public sealed class MetadataProbeTests
{
    [Fact]
    public void EncodeRequest_AllTopics_SendsANullArrayAndForbidsAutoCreation()
    {
        var request = MetadataProbe.EncodeRequest(7, null);

        Assert.Equal(request.Length - 4, BinaryPrimitives.ReadInt32BigEndian(request));
        Assert.Equal(3, BinaryPrimitives.ReadInt16BigEndian(request.AsSpan(4)));
        Assert.Equal(4, BinaryPrimitives.ReadInt16BigEndian(request.AsSpan(6)));
        Assert.Equal(7, BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(8)));
        Assert.Equal(-1, BinaryPrimitives.ReadInt32BigEndian(request.AsSpan(request.Length - 5)));
        Assert.Equal(0, request[^1]);
    }

    [Fact]
    public void EncodeRequest_NamedTopics_ListsEachName()
    {
        var request = MetadataProbe.EncodeRequest(1, ["a", "bc"]);

        Assert.EndsWith("\0\0\0\u0002\0\u0001a\0\u0002bc\0", Encoding.ASCII.GetString(request), StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_V4Response_ReadsControllerBrokersAndPartitionLeaders()
    {
        var view = MetadataView.Decode(Response(correlationId: 9, controllerId: 2, leaderOfPartition1: 3), 9);

        Assert.Equal(2, view.ControllerId);
        Assert.Equal([1, 2, 3], view.Brokers);
        var topic = view.Topics["orders"];
        Assert.Equal([0, 1], topic.Partitions.Select(p => p.Index));
        Assert.Equal([1, 3], topic.Partitions.Select(p => p.Leader));
        Assert.Equal([3], topic.Partitions[1].Replicas);
        Assert.Equal([3], topic.Partitions[1].Isr);
        Assert.True(view.IsLed("orders", 2));
    }

    [Fact]
    public void IsLed_PartitionWithoutLeader_IsFalse()
    {
        var view = MetadataView.Decode(Response(correlationId: 1, controllerId: 1, leaderOfPartition1: -1), 1);

        Assert.False(view.IsLed("orders", 2));
        Assert.False(view.IsLed("missing", 2));
    }

    [Fact]
    public void Decode_AnswerToAnotherRequest_Throws()
    {
        Assert.Throws<FormatException>(() => MetadataView.Decode(Response(correlationId: 4, controllerId: 1, leaderOfPartition1: 1), 5));
    }

    [Fact]
    public void Decode_TruncatedAnswer_Throws()
    {
        var body = Response(correlationId: 1, controllerId: 1, leaderOfPartition1: 1);

        Assert.Throws<FormatException>(() => MetadataView.Decode(body.AsSpan(0, body.Length - 3), 1));
    }

    /// <summary>A v4 response body: brokers 1–3, a controller, and topic "orders" with partition 0 led by 1 and
    /// partition 1 (replicas [3]) led by <paramref name="leaderOfPartition1"/>; the ISR of each is its leader.</summary>
    private static byte[] Response(int correlationId, int controllerId, int leaderOfPartition1)
    {
        var body = new List<byte>();
        void Int16(int v) => body.AddRange([(byte)(v >> 8), (byte)v]);
        void Int32(int v) => body.AddRange([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
        void String(string? s)
        {
            if (s is null)
            {
                Int16(-1);
                return;
            }

            Int16(s.Length);
            body.AddRange(Encoding.UTF8.GetBytes(s));
        }

        Int32(correlationId);
        Int32(0);
        Int32(3);
        foreach (var node in new[] { 1, 2, 3 })
        {
            Int32(node);
            String("127.0.0.1");
            Int32(9090 + node);
            String(null);
        }

        String("cluster");
        Int32(controllerId);
        Int32(1);
        Int16(0);
        String("orders");
        body.Add(0);
        Int32(2);
        foreach (var (index, leader) in new[] { (0, 1), (1, leaderOfPartition1) })
        {
            Int16(0);
            Int32(index);
            Int32(leader);
            Int32(1);
            Int32(index == 0 ? 1 : 3);
            Int32(leader < 0 ? 0 : 1);
            if (leader >= 0)
            {
                Int32(leader);
            }
        }

        return [.. body];
    }
}
