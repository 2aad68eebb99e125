namespace Wharf.Client;

/// <summary>A share-consumer call failed; <see cref="Error"/> holds librdkafka's error code, name and reason.</summary>
public class ShareConsumerException : Exception
{
    /// <summary>Creates the exception for a failed <paramref name="operation"/>.</summary>
    public ShareConsumerException(string operation, ShareError error)
        : base($"{operation} failed: {error}")
    {
        Error = error;
    }

    /// <summary>Creates the exception with a message of the caller's own.</summary>
    public ShareConsumerException(ShareError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>What librdkafka reported.</summary>
    public ShareError Error { get; }

    /// <summary>Shorthand for <c>Error.Code</c>.</summary>
    public int Code => Error.Code;
}
