using System.Buffers;
using Wharf.Protocol.Codec;

namespace Wharf.Protocol;

/// <summary>A request frame decoded into its header and body.</summary>
public sealed record DecodedRequest(RequestHeader Header, IRequestMessage Body, ApiInfo Api);

/// <summary>
/// Decodes one request frame (everything after the 4-byte size): header, then body with the generated
/// reader for its API and version. Bad input raises <see cref="ProtocolDecodeException"/> only.
/// Thread-safety: stateless.
/// </summary>
public static class RequestDecoder
{
    public static DecodedRequest Decode(ReadOnlySequence<byte> frame)
    {
        var peek = new KafkaReader(frame);
        var (key, version, _) = RequestHeader.ReadPrefix(ref peek);
        var api = ApiCatalog.Find(key)
            ?? throw new ProtocolDecodeException(DecodeError.UnknownApiKey, $"Unknown API key {(short)key}.");
        if (!api.IsSupported(version))
        {
            throw new ProtocolDecodeException(DecodeError.UnsupportedVersion, $"{api.Name} v{version} is outside {api.LowestVersion}-{api.HighestVersion}.");
        }

        var reader = new KafkaReader(frame);
        var header = RequestHeader.Read(ref reader, api.RequestHeaderVersion(version));
        var body = ApiCatalog.ReadRequest(key, version, ref reader);
        return new DecodedRequest(header, body, api);
    }
}
