namespace Wharf.Protocol.Codec;

/// <summary>Why a frame, header or message body could not be decoded. Each is a distinct failure.</summary>
public enum DecodeError
{
    /// <summary>The input ended before a field did.</summary>
    Truncated,

    /// <summary>A length below -1, or -1 where null is not allowed in this version.</summary>
    NegativeLength,

    /// <summary>A string, bytes or records length claims more bytes than remain.</summary>
    LengthExceedsRemaining,

    /// <summary>An array count claims more elements than the remaining bytes could hold.</summary>
    ArrayLengthExceedsRemaining,

    /// <summary>A varint longer than its type allows (5 bytes for 32 bits, 10 for 64).</summary>
    VarintTooLong,

    /// <summary>A null (-1 / 0 compact) where this version does not allow one.</summary>
    UnexpectedNull,

    /// <summary>The tagged-field count or a tagged field's size claims more bytes than remain.</summary>
    InvalidTaggedField,

    /// <summary>A known tagged field did not consume exactly its declared size.</summary>
    TaggedFieldSizeMismatch,

    /// <summary>The API key is not one this broker knows.</summary>
    UnknownApiKey,

    /// <summary>The version is outside the range the codec decodes.</summary>
    UnsupportedVersion,
}
