using System.Buffers;
using Wharf.Protocol.Codec;
using Wharf.Protocol.Messages;

namespace Wharf.Protocol.Tests;

/// <summary>
/// Request frames captured from a real client (Golden/&lt;client&gt;/NNN-Api-vN.bin, written by the integration
/// test GoldenRequestTests with WHARF_CAPTURE_GOLDEN set) decode and re-encode to exactly the same bytes.
/// </summary>
public class GoldenRequestTests
{
    public static TheoryData<string> Frames()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Golden"), "*.bin", SearchOption.AllDirectories).Order())
        {
            data.Add(Path.GetRelativePath(AppContext.BaseDirectory, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void CapturedFrame_DecodesAndReEncodesByteForByte(string file)
    {
        var frame = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, file));
        var decoded = RequestDecoder.Decode(new ReadOnlySequence<byte>(frame));
        Assert.Contains($"-{decoded.Header.ApiKey}-v{decoded.Header.ApiVersion}.bin", file);

        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        decoded.Header.Write(ref writer, decoded.Api.RequestHeaderVersion(decoded.Header.ApiVersion));
        decoded.Body.Write(ref writer, decoded.Header.ApiVersion);
        writer.Flush();
        Assert.Equal(frame, output.WrittenSpan.ToArray());
    }

    [Fact]
    public void CapturedProduceRequests_CarryValidBatchesInEveryCodec()
    {
        var codecs = new HashSet<Records.CompressionType>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Golden"), "*-Produce-*.bin", SearchOption.AllDirectories))
        {
            var decoded = RequestDecoder.Decode(new ReadOnlySequence<byte>(File.ReadAllBytes(file)));
            var records = ((ProduceRequest)decoded.Body).TopicData[0].PartitionData[0].Records!.Value.ToArray();
            Assert.Equal(Records.RecordBatchError.None, Records.RecordBatchValidator.Validate(records, 1 << 20, out var header));
            codecs.Add(header.Compression);
        }

        // Five producers, one per codec; librdkafka may send a batch uncompressed when that is no larger, so at
        // least the four compressed codecs must be present among the captured batches.
        Assert.True(codecs.Count >= 4, $"captured codecs: {string.Join(", ", codecs)}");
    }
}
