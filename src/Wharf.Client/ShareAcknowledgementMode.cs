namespace Wharf.Client;

/// <summary>The value of librdkafka's <c>share.acknowledgement.mode</c>, fixed when the consumer is created.</summary>
public enum ShareAcknowledgementMode
{
    /// <summary>
    /// librdkafka's default. The application never acknowledges; every record of a batch is accepted when the
    /// next <see cref="ShareConsumer.Consume"/>, <see cref="ShareConsumer.CommitSync"/> or
    /// <see cref="ShareConsumer.CommitAsync"/> is called, or when the consumer closes.
    /// </summary>
    Implicit,

    /// <summary>
    /// The application acknowledges every record of a batch with <see cref="ShareConsumer.Acknowledge"/> before
    /// the next <see cref="ShareConsumer.Consume"/>, which otherwise fails with <c>_STATE</c>.
    /// </summary>
    Explicit,
}
