using System.Buffers;
using Wharf.Protocol;
using Wharf.Protocol.Codec;

namespace Wharf.TestKit;

/// <summary>Checks that real clients' request frames decode with our codec and re-encode to the same bytes.</summary>
public static class GoldenFrames
{
    /// <summary>
    /// Re-encodes every frame whose API and version the codec decodes and returns a description of each that
    /// fails (decode error or different bytes); frames outside the codec's ranges are counted, not judged.
    /// </summary>
    public static (IReadOnlyList<string> Failures, IReadOnlySet<ApiKey> Apis, int Checked) Check(IEnumerable<byte[]> frames)
    {
        var failures = new List<string>();
        var apis = new HashSet<ApiKey>();
        var checkedCount = 0;
        foreach (var frame in frames)
        {
            if (frame.Length < 4)
            {
                failures.Add($"a {frame.Length}-byte frame");
                continue;
            }

            var key = (ApiKey)(short)((frame[0] << 8) | frame[1]);
            var version = (short)((frame[2] << 8) | frame[3]);
            if (ApiCatalog.Find(key) is not { } api || !api.IsSupported(version))
            {
                continue;
            }

            checkedCount++;
            try
            {
                var decoded = RequestDecoder.Decode(new ReadOnlySequence<byte>(frame));
                apis.Add(key);
                var output = new ArrayBufferWriter<byte>();
                var writer = new KafkaWriter(output);
                decoded.Header.Write(ref writer, api.RequestHeaderVersion(version));
                decoded.Body.Write(ref writer, version);
                writer.Flush();
                if (!frame.AsSpan().SequenceEqual(output.WrittenSpan))
                {
                    failures.Add($"{key} v{version} re-encodes differently: {Convert.ToHexString(frame)}");
                }
            }
            catch (ProtocolDecodeException e)
            {
                failures.Add($"{key} v{version} does not decode ({e.Error}: {e.Message}): {Convert.ToHexString(frame)}");
            }
        }

        return (failures, apis, checkedCount);
    }
}
