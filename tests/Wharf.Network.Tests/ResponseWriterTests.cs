using System.Buffers;
using System.Buffers.Binary;
using Wharf.Protocol;
using Wharf.Protocol.Codec;
using Wharf.Protocol.Messages;

namespace Wharf.Network.Tests;

/// <summary>Each response becomes one exactly-sized segment (size prefix, header, body) that the codec decodes back.</summary>
public sealed class ResponseWriterTests
{
    [Fact]
    public void ApiVersionsResponse_EncodesAsSizePrefixHeaderV0AndBody_ThatDecodesBack()
    {
        using var writer = new ResponseWriter();
        var body = new ApiVersionsResponse
        {
            ErrorCode = 0,
            ThrottleTimeMs = 17,
            ApiKeys =
            [
                new ApiVersionsResponse.ApiVersion { ApiKey = (short)ApiKey.Produce, MinVersion = 3, MaxVersion = 10 },
                new ApiVersionsResponse.ApiVersion { ApiKey = (short)ApiKey.ApiVersions, MinVersion = 0, MaxVersion = 3 },
            ],
        };

        writer.Add(new OutgoingResponse(12345, 0, 3, body));

        var segment = Assert.Single(writer.Pending);
        Assert.Equal(segment.Count, writer.PendingBytes);
        var reader = OpenFrame(segment, out var header, headerVersion: 0);
        var decoded = ApiVersionsResponse.Read(ref reader, 3);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(12345, header.CorrelationId);
        Assert.Equal(17, decoded.ThrottleTimeMs);
        Assert.Equal(
            [((short)ApiKey.Produce, (short)3, (short)10), ((short)ApiKey.ApiVersions, (short)0, (short)3)],
            decoded.ApiKeys.Select(k => (k.ApiKey, k.MinVersion, k.MaxVersion)));
    }

    [Fact]
    public void FlexibleFetchResponse_WithLargeRecords_EncodesWithHeaderV1_AndDecodesBack()
    {
        using var writer = new ResponseWriter();
        var records = Frames.Payload(50_000, 5);
        var body = new FetchResponse
        {
            Responses =
            [
                new FetchResponse.FetchableTopicResponse
                {
                    Topic = "t",
                    Partitions = [new FetchResponse.PartitionData { PartitionIndex = 2, HighWatermark = 99, Records = new ReadOnlySequence<byte>(records) }],
                },
            ],
        };

        writer.Add(new OutgoingResponse(7, 1, 12, body));

        var segment = Assert.Single(writer.Pending);
        var reader = OpenFrame(segment, out var header, headerVersion: 1);
        var decoded = FetchResponse.Read(ref reader, 12);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(7, header.CorrelationId);
        var partition = Assert.Single(Assert.Single(decoded.Responses).Partitions);
        Assert.Equal(99, partition.HighWatermark);
        Assert.True(partition.Records!.Value.ToArray().AsSpan().SequenceEqual(records), "records changed on the way through");
    }

    [Fact]
    public void SeveralAdds_AreSeveralPendingSegmentsInOrder_PendingBytesTheirSum_AndClearEmpties()
    {
        using var writer = new ResponseWriter();

        for (var i = 1; i <= 3; i++)
        {
            writer.Add(new OutgoingResponse(i, 0, 3, new ApiVersionsResponse { ThrottleTimeMs = i * 10 }));
        }

        Assert.Equal(3, writer.Pending.Count);
        Assert.Equal(writer.Pending.Sum(s => s.Count), writer.PendingBytes);
        for (var i = 1; i <= 3; i++)
        {
            var reader = OpenFrame(writer.Pending[i - 1], out var header, headerVersion: 0);
            Assert.Equal(i, header.CorrelationId);
            Assert.Equal(i * 10, ApiVersionsResponse.Read(ref reader, 3).ThrottleTimeMs);
        }

        writer.Clear();

        Assert.Empty(writer.Pending);
        Assert.Equal(0, writer.PendingBytes);
        writer.Add(new OutgoingResponse(4, 0, 3, new ApiVersionsResponse()));
        Assert.Equal(4, BinaryPrimitives.ReadInt32BigEndian(writer.Pending.Single().AsSpan(4)));
    }

    [Fact]
    public void BodyWritingFewerBytesThanItComputed_IsRefused_AndLeavesNothingPending()
    {
        using var writer = new ResponseWriter();
        writer.Add(new OutgoingResponse(1, 0, 3, new ApiVersionsResponse()));
        var before = writer.PendingBytes;

        Assert.Throws<InvalidOperationException>(() => writer.Add(new OutgoingResponse(2, 0, 0, new ShortBody())));

        Assert.Single(writer.Pending);
        Assert.Equal(before, writer.PendingBytes);
    }

    /// <summary>Checks the size prefix against the segment, reads the header, and returns a reader at the body.</summary>
    private static KafkaReader OpenFrame(ArraySegment<byte> segment, out ResponseHeader header, short headerVersion)
    {
        Assert.Equal(segment.Count - 4, BinaryPrimitives.ReadInt32BigEndian(segment.AsSpan()));
        var reader = new KafkaReader(segment.AsMemory(4));
        header = ResponseHeader.Read(ref reader, headerVersion);
        return reader;
    }

    private sealed class ShortBody : IKafkaMessage
    {
        public int ComputeSize(short version) => 8;

        public void Write(ref KafkaWriter writer, short version) => writer.WriteInt32(1);
    }
}
