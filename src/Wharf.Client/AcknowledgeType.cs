namespace Wharf.Client;

/// <summary>
/// How a record delivered to a share consumer is acknowledged. The values are librdkafka's
/// <c>rd_kafka_share_AcknowledgeType_t</c>, which are also the type bytes of KIP-932's acknowledgement batches.
/// </summary>
public enum AcknowledgeType
{
    /// <summary>Processed; the broker archives the record.</summary>
    Accept = 1,

    /// <summary>Not processed; the record becomes available again, possibly to another member.</summary>
    Release = 2,

    /// <summary>Unprocessable; the broker archives the record and never delivers it again.</summary>
    Reject = 3,
}
