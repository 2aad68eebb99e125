namespace Wharf.Protocol.Codec;

/// <summary>
/// Thrown when a message cannot be written at the requested version, e.g. a null in a field that this
/// version does not allow to be null. Always a programming error on our side, never a client's.
/// </summary>
public sealed class ProtocolEncodeException(string message) : Exception(message);
