namespace Wharf.Protocol.Codec;

/// <summary>A tagged field this codec does not know, kept as raw bytes so it survives a re-encode.</summary>
public sealed record RawTaggedField(int Tag, byte[] Data);
