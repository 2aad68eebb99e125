using System.Buffers;
using System.Buffers.Binary;
using Wharf.Protocol;
using Wharf.Protocol.Codec;
using Wharf.Protocol.Messages;

namespace Wharf.Network.Tests;

/// <summary>Each response becomes an exactly-sized encoding (size prefix, header, body; large records by reference) that the codec decodes back.</summary>
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

        var segment = Assert.Single(writer.Pending).Bytes;
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
    public void FlexibleFetchResponse_WithLargeRecords_GathersThemByReference_AndTheWholeDecodesBack()
    {
        using var writer = new ResponseWriter();
        var records = Frames.Payload(50_000, 5);
        writer.Add(new OutgoingResponse(7, 1, 12, FetchOf(records)));

        Assert.Equal(3, writer.Pending.Count);
        Assert.Same(records, writer.Pending[1].Bytes.Array);
        Assert.Equal(records.Length, writer.Pending[1].Bytes.Count);
        Assert.Equal(writer.Pending.Sum(s => s.Length), writer.PendingBytes);
        var reader = OpenFrame(Concat(writer.Pending), out var header, headerVersion: 1);
        var decoded = FetchResponse.Read(ref reader, 12);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(7, header.CorrelationId);
        var partition = Assert.Single(Assert.Single(decoded.Responses).Partitions);
        Assert.Equal(99, partition.HighWatermark);
        Assert.True(partition.Records!.Value.ToArray().AsSpan().SequenceEqual(records), "records changed on the way through");
    }

    [Fact]
    public void RecordsBelowTheThreshold_AreCopied_AndALargeEncodingContinuesInASecondArray()
    {
        using var writer = new ResponseWriter();
        var records = Frames.Payload(KafkaWriter.MinimumReferencedRecords - 1, 6);

        writer.Add(new OutgoingResponse(8, 1, 12, FetchOf(records)));

        // Larger than the first array, so the encoding continues in a second one, sized to what was left.
        Assert.Equal(2, writer.Pending.Count);
        Assert.DoesNotContain(writer.Pending, piece => ReferenceEquals(piece.Bytes.Array, records));
        Assert.Equal(writer.Pending.Sum(s => s.Length), writer.PendingBytes);
        var reader = OpenFrame(Concat(writer.Pending), out _, headerVersion: 1);
        var partition = Assert.Single(Assert.Single(FetchResponse.Read(ref reader, 12).Responses).Partitions);
        Assert.True(partition.Records!.Value.ToArray().AsSpan().SequenceEqual(records));
    }

    [Fact]
    public void AfterSent_RunsOnClear_NotOnAdd_NorOnAbandon()
    {
        using var writer = new ResponseWriter();
        var sent = 0;
        writer.Add(new OutgoingResponse(1, 1, 12, FetchOf(Frames.Payload(40_000, 7))) { AfterSent = () => sent++ });
        Assert.Equal(0, sent);

        writer.Clear();
        Assert.Equal(1, sent);

        writer.Add(new OutgoingResponse(2, 1, 12, FetchOf(Frames.Payload(40_000, 8))) { AfterSent = () => sent++ });
        writer.Abandon();
        writer.Clear();
        Assert.Equal(1, sent);
        Assert.Empty(writer.Pending);
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
        Assert.Equal(writer.Pending.Sum(s => s.Length), writer.PendingBytes);
        for (var i = 1; i <= 3; i++)
        {
            var reader = OpenFrame(writer.Pending[i - 1].Bytes, out var header, headerVersion: 0);
            Assert.Equal(i, header.CorrelationId);
            Assert.Equal(i * 10, ApiVersionsResponse.Read(ref reader, 3).ThrottleTimeMs);
        }

        writer.Clear();

        Assert.Empty(writer.Pending);
        Assert.Equal(0, writer.PendingBytes);
        writer.Add(new OutgoingResponse(4, 0, 3, new ApiVersionsResponse()));
        Assert.Equal(4, BinaryPrimitives.ReadInt32BigEndian(writer.Pending.Single().Bytes.AsSpan(4)));
    }

    [Fact]
    public void BodyWritingFewerBytesThanItComputed_IsRefused_AndLeavesNothingPending()
    {
        using var writer = new ResponseWriter();
        writer.Add(new OutgoingResponse(1, 0, 3, new ApiVersionsResponse()));
        var before = writer.PendingBytes;

        var released = false;

        Assert.Throws<InvalidOperationException>(() => writer.Add(new OutgoingResponse(2, 0, 0, new ShortBody()) { AfterSent = () => released = true }));

        Assert.Single(writer.Pending);
        Assert.Equal(before, writer.PendingBytes);
        Assert.True(released, "a response that could not be encoded releases its buffers at once");
    }

    private static FetchResponse FetchOf(byte[] records) => new()
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

    /// <summary>The bytes the connection would send: array pieces as they are, file pieces read from their file.</summary>
    private static ArraySegment<byte> Concat(IReadOnlyList<ResponsePiece> pieces) => pieces
        .SelectMany(p => p.File is null ? p.Bytes.ToArray() : ReadFile(p))
        .ToArray();

    private static byte[] ReadFile(ResponsePiece piece)
    {
        var bytes = new byte[piece.FileLength];
        RandomAccess.Read(piece.File!.File.SafeFileHandle, bytes, piece.FileOffset);
        return bytes;
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
