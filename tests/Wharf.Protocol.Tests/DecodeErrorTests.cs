using System.Text;
using Wharf.Protocol.Codec;
using Wharf.Protocol.Messages;

namespace Wharf.Protocol.Tests;

/// <summary>Each kind of malformed input yields its own named <see cref="DecodeError"/>, and nothing is allocated for a lying length.</summary>
public class DecodeErrorTests
{
    [Fact]
    public void ApiVersionsRequestV3_AsLibrdkafkaSendsIt_DecodesClientSoftware()
    {
        byte[] body = [0x0B, .. "librdkafka"u8, 0x07, .. "2.16.0"u8, 0x00];
        var request = (ApiVersionsRequest)MessageCodec.Decode(ApiKey.ApiVersions, 3, request: true, body, out var remaining);
        Assert.Equal("librdkafka", request.ClientSoftwareName);
        Assert.Equal("2.16.0", request.ClientSoftwareVersion);
        Assert.Equal(0, remaining);
    }

    [Fact]
    public void MetadataRequestV0_WithEmptyTopicArray_MeansAllTopicsAndDecodes()
    {
        var request = (MetadataRequest)MessageCodec.Decode(ApiKey.Metadata, 0, request: true, [0, 0, 0, 0], out _);
        Assert.NotNull(request.Topics);
        Assert.Empty(request.Topics);
    }

    [Fact]
    public void ArrayCount_ClaimingTwoBillionElements_FailsWithoutAllocating()
    {
        // Metadata v1 request: topics array count int32.MaxValue, then 16 bytes of junk.
        var body = new byte[20];
        body[0] = 0x7F;
        body[1] = body[2] = body[3] = 0xFF;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ProtocolDecodeException>(() => MessageCodec.Decode(ApiKey.Metadata, 1, true, body, out _));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(DecodeError.ArrayLengthExceedsRemaining, error.Error);
        Assert.True(allocated < 16 * 1024, $"allocated {allocated} bytes for a 20-byte frame");
    }

    [Fact]
    public void StringLength_BeyondTheFrame_IsLengthExceedsRemaining()
    {
        // Produce v3: transactional id string length 30000, but 4 bytes follow.
        byte[] body = [0x75, 0x30, 1, 2, 3, 4];
        AssertError(DecodeError.LengthExceedsRemaining, ApiKey.Produce, 3, body);
    }

    [Fact]
    public void NegativeStringLength_OtherThanMinusOne_IsNegativeLength()
    {
        byte[] body = [0xFF, 0xFE, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
        AssertError(DecodeError.NegativeLength, ApiKey.Produce, 3, body);
    }

    [Fact]
    public void NullArray_WhereTheVersionForbidsIt_IsUnexpectedNull()
    {
        // Produce v3: null transactional id, acks 1, timeout 0, topic array -1.
        byte[] body = [0xFF, 0xFF, 0, 1, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
        AssertError(DecodeError.UnexpectedNull, ApiKey.Produce, 3, body);
    }

    [Fact]
    public void TruncatedFrame_IsTruncated()
    {
        byte[] body = [0xFF, 0xFF, 0, 1, 0];
        AssertError(DecodeError.Truncated, ApiKey.Produce, 3, body);
    }

    [Fact]
    public void OverlongVarint_IsVarintTooLong()
    {
        // ApiVersions v3: compact string length as six continuation bytes.
        byte[] body = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];
        AssertError(DecodeError.VarintTooLong, ApiKey.ApiVersions, 3, body);
    }

    [Fact]
    public void UnknownTaggedField_IsSkippedAndKeptForReEncoding()
    {
        byte[] body = [0x02, (byte)'a', 0x02, (byte)'b', 0x01, 0x07, 0x02, 0xAB, 0xCD];
        var request = (ApiVersionsRequest)MessageCodec.Decode(ApiKey.ApiVersions, 3, true, body, out var remaining);
        Assert.Equal(0, remaining);
        var field = Assert.Single(request.UnknownTaggedFields!);
        Assert.Equal(7, field.Tag);
        Assert.Equal([0xAB, 0xCD], field.Data);
        Assert.Equal(body, MessageCodec.Encode(request, 3));
    }

    [Fact]
    public void TaggedFieldCount_LargerThanTheFrame_IsInvalidTaggedField()
    {
        byte[] body = [0x02, (byte)'a', 0x02, (byte)'b', 0x7F];
        AssertError(DecodeError.InvalidTaggedField, ApiKey.ApiVersions, 3, body);
    }

    [Fact]
    public void KnownTaggedField_WithWrongSize_IsTaggedFieldSizeMismatch()
    {
        // ApiVersions response v3: error 0, no api keys, throttle 0, then tag 1 (FinalizedFeaturesEpoch int64) with size 9.
        byte[] body = [0, 0, 0x01, 0, 0, 0, 0, 0x01, 0x01, 0x09, 0, 0, 0, 0, 0, 0, 0, 1, 0xEE];
        AssertError(DecodeError.TaggedFieldSizeMismatch, ApiKey.ApiVersions, 3, body, request: false);
    }

    [Fact]
    public void VersionOutsideTheCodecRange_IsUnsupportedVersion()
    {
        AssertError(DecodeError.UnsupportedVersion, ApiKey.Produce, 2, [0, 0]);
    }

    [Fact]
    public void UnknownApiKey_IsUnknownApiKey()
    {
        AssertError(DecodeError.UnknownApiKey, (ApiKey)999, 0, [0, 0]);
    }

    [Fact]
    public void NullString_WhereNullable_RoundTripsAsNull()
    {
        var request = new ProduceRequest { TransactionalId = null, Acks = -1, TimeoutMs = 1000 };
        var bytes = MessageCodec.Encode(request, 3);
        Assert.Equal([0xFF, 0xFF], bytes[..2]);
        var decoded = (ProduceRequest)MessageCodec.Decode(ApiKey.Produce, 3, true, bytes, out _);
        Assert.Null(decoded.TransactionalId);
        Assert.Equal(-1, decoded.Acks);
    }

    [Fact]
    public void NullString_WhereNotNullable_IsAnEncodeError()
    {
        var request = new ApiVersionsRequest { ClientSoftwareName = null! };
        Assert.Throws<ProtocolEncodeException>(() => MessageCodec.Encode(request, 3));
    }

    [Fact]
    public void RecordsField_IsASliceOfTheInput_NotACopy()
    {
        var records = Encoding.ASCII.GetBytes("0123456789abcdef");
        var request = new ProduceRequest
        {
            Acks = 1,
            TopicData = [new() { Name = "t", PartitionData = [new() { Index = 0, Records = new(records) }] }],
        };
        var bytes = MessageCodec.Encode(request, 9);
        var memory = new ReadOnlyMemory<byte>(bytes);
        var reader = new KafkaReader(memory);
        var decoded = ProduceRequest.Read(ref reader, 9);
        var slice = decoded.TopicData[0].PartitionData[0].Records!.Value;
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(slice.First, out var segment));
        Assert.Same(bytes, segment.Array);
        Assert.Equal(records, System.Buffers.BuffersExtensions.ToArray(slice));
    }

    private static void AssertError(DecodeError expected, ApiKey key, short version, byte[] body, bool request = true)
    {
        var error = Assert.Throws<ProtocolDecodeException>(() => MessageCodec.Decode(key, version, request, body, out _));
        Assert.Equal(expected, error.Error);
    }
}
