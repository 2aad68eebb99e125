using System.Buffers.Binary;
using System.Text;

namespace Wharf.Coordinator.Group;

/// <summary>
/// Reads the topics out of a "consumer" protocol subscription (Kafka's ConsumerProtocolSubscription: int16 version,
/// then [string] topics, ...) — the only part of member metadata the broker looks at (OffsetDelete refuses to delete
/// offsets of subscribed topics). Everything else in member metadata and assignments is opaque.
/// </summary>
internal static class ConsumerProtocol
{
    /// <summary>The subscribed topics, or null when the bytes are not a readable subscription.</summary>
    public static IReadOnlyList<string>? TryReadTopics(ReadOnlySpan<byte> subscription)
    {
        if (subscription.Length < 6)
        {
            return null;
        }

        var version = BinaryPrimitives.ReadInt16BigEndian(subscription);
        if (version < 0)
        {
            return null;
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(subscription[2..]);
        if (count < 0 || count > subscription.Length)
        {
            return null;
        }

        var topics = new List<string>(count);
        var position = 6;
        for (var i = 0; i < count; i++)
        {
            if (position + 2 > subscription.Length)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt16BigEndian(subscription[position..]);
            position += 2;
            if (length < 0 || position + length > subscription.Length)
            {
                return null;
            }

            topics.Add(Encoding.UTF8.GetString(subscription.Slice(position, length)));
            position += length;
        }

        return topics;
    }
}
