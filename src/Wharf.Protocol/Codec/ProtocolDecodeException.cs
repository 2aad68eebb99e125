namespace Wharf.Protocol.Codec;

/// <summary>
/// Thrown by <see cref="KafkaReader"/> and the generated readers when input is malformed. It is the only
/// exception decoding raises for bad input; it carries a machine-readable <see cref="Error"/>.
/// </summary>
public sealed class ProtocolDecodeException(DecodeError error, string message) : Exception(message)
{
    public DecodeError Error { get; } = error;
}
