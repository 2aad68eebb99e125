using System.Collections.Concurrent;

namespace Wharf.Configuration;

/// <summary>
/// The keys a broker has actually read: a broker key through <see cref="BrokerConfig.Get"/> (and the typed
/// properties built on it), a topic key through <see cref="TopicConfig.Get"/>, a group key through
/// <see cref="GroupConfig.Get"/>. DescribeConfigs, validation and the
/// resolution of topic defaults peek at values without counting. A test starts a broker, drives it through its
/// ordinary paths and checks the catalogue against this record, so a key that nothing reads cannot sit in the
/// catalogue (it belongs in the unsupported list, or is a topic key marked <see cref="ConfigDefinition.NoEffect"/>).
/// Thread-safety: safe from any thread; a read already recorded costs one lock-free lookup.
/// </summary>
public sealed class ConfigUsage
{
    private readonly ConcurrentDictionary<string, byte> _brokerKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _topicKeys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _groupKeys = new(StringComparer.Ordinal);

    /// <summary>Broker keys read so far.</summary>
    public IReadOnlyCollection<string> BrokerKeysRead => [.. _brokerKeys.Keys];

    /// <summary>Topic keys read so far (by any topic).</summary>
    public IReadOnlyCollection<string> TopicKeysRead => [.. _topicKeys.Keys];

    /// <summary>Group keys read so far (by any group).</summary>
    public IReadOnlyCollection<string> GroupKeysRead => [.. _groupKeys.Keys];

    internal void MarkBrokerKey(string key)
    {
        if (!_brokerKeys.ContainsKey(key))
        {
            _brokerKeys.TryAdd(key, 0);
        }
    }

    internal void MarkTopicKey(string key) => Mark(_topicKeys, key);

    internal void MarkGroupKey(string key) => Mark(_groupKeys, key);

    private static void Mark(ConcurrentDictionary<string, byte> keys, string key)
    {
        if (!keys.ContainsKey(key))
        {
            keys.TryAdd(key, 0);
        }
    }
}
