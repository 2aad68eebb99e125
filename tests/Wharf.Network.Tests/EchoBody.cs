using Wharf.Protocol;
using Wharf.Protocol.Codec;

namespace Wharf.Network.Tests;

/// <summary>A response body that is just the given bytes, so a client can check what came back for which request.</summary>
internal sealed class EchoBody(byte[] bytes) : IKafkaMessage
{
    public int ComputeSize(short version) => bytes.Length;

    public void Write(ref KafkaWriter writer, short version) => writer.WriteRaw(bytes);
}
