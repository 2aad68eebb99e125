using System.Buffers;
using Wharf.Protocol.Codec;

namespace Wharf.Protocol.Tests;

/// <summary>Encode and decode helpers for tests.</summary>
internal static class MessageCodec
{
    public static byte[] Encode(IKafkaMessage message, short version)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        message.Write(ref writer, version);
        writer.Flush();
        return output.WrittenSpan.ToArray();
    }

    public static IApiMessage Decode(ApiKey key, short version, bool request, byte[] bytes, out long remaining)
    {
        var reader = new KafkaReader(bytes);
        IApiMessage message = request ? ApiCatalog.ReadRequest(key, version, ref reader) : ApiCatalog.ReadResponse(key, version, ref reader);
        remaining = reader.Remaining;
        return message;
    }
}
