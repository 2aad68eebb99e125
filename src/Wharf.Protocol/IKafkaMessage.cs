using Wharf.Protocol.Codec;

namespace Wharf.Protocol;

/// <summary>A generated protocol message or one of its nested structs: writes itself at a given version.</summary>
public interface IKafkaMessage
{
    /// <summary>Exact number of bytes <see cref="Write"/> produces at <paramref name="version"/>.</summary>
    int ComputeSize(short version);

    void Write(ref KafkaWriter writer, short version);
}

/// <summary>A top-level request or response body of one API.</summary>
public interface IApiMessage : IKafkaMessage
{
    ApiKey ApiKey { get; }
}

/// <summary>A top-level message type that can be decoded without knowing its type at run time.</summary>
public interface IApiMessage<TSelf> : IApiMessage
    where TSelf : IApiMessage<TSelf>
{
    static abstract ApiKey Api { get; }

    static abstract TSelf Read(ref KafkaReader reader, short version);
}

/// <summary>Marks request bodies.</summary>
public interface IRequestMessage : IApiMessage;

/// <summary>Marks response bodies.</summary>
public interface IResponseMessage : IApiMessage;
