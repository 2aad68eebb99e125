using System.Collections;
using System.Globalization;

namespace Wharf.Client;

/// <summary>
/// librdkafka properties for a <see cref="ShareConsumer"/>: typed setters for the common ones and
/// <see cref="Set"/> for any other (see librdkafka's CONFIGURATION.md; properties marked as not applicable to
/// share consumers, such as <c>enable.auto.commit</c> or <c>group.protocol</c>, are rejected when the consumer is
/// created).
/// </summary>
/// <remarks>
/// Keys are librdkafka's property names, so this is a plain ordered string map; later values replace earlier ones.
/// Thread-safety: none; build it on one thread, then hand it to the consumer, which copies it.
/// </remarks>
public sealed class ShareConsumerConfig : IEnumerable<KeyValuePair<string, string>>
{
    private readonly OrderedDictionary<string, string> _properties = new(StringComparer.Ordinal);

    /// <summary>Creates an empty configuration.</summary>
    public ShareConsumerConfig()
    {
    }

    /// <summary>Creates a configuration from existing properties.</summary>
    public ShareConsumerConfig(IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        foreach (var (key, value) in properties)
            Set(key, value);
    }

    /// <summary><c>bootstrap.servers</c>: comma-separated host:port pairs.</summary>
    public string? BootstrapServers
    {
        get => Get("bootstrap.servers");
        set => SetOrRemove("bootstrap.servers", value);
    }

    /// <summary><c>group.id</c>: the share group to join. Required.</summary>
    public string? GroupId
    {
        get => Get("group.id");
        set => SetOrRemove("group.id", value);
    }

    /// <summary><c>client.id</c>: the name the client gives itself in requests and broker logs.</summary>
    public string? ClientId
    {
        get => Get("client.id");
        set => SetOrRemove("client.id", value);
    }

    /// <summary><c>share.acknowledgement.mode</c>; null leaves librdkafka's default, implicit.</summary>
    public ShareAcknowledgementMode? AcknowledgementMode
    {
        get => ShareConsumer.ParseAcknowledgementMode(Get(ShareConsumer.AcknowledgementModeKey));
        set => SetOrRemove(ShareConsumer.AcknowledgementModeKey, value switch
        {
            null => null,
            ShareAcknowledgementMode.Implicit => "implicit",
            ShareAcknowledgementMode.Explicit => "explicit",
            _ => throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown acknowledgement mode."),
        });
    }

    /// <summary><c>max.poll.records</c>: a soft bound on a batch's size (librdkafka's default is 500).</summary>
    public int? MaxPollRecords
    {
        get => Get("max.poll.records") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : null;
        set => SetOrRemove("max.poll.records", value?.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Any librdkafka property, by name; null when unset.</summary>
    public string? this[string key]
    {
        get => Get(key);
        set => SetOrRemove(key, value);
    }

    /// <summary>Sets a librdkafka property and returns this configuration, for chaining.</summary>
    public ShareConsumerConfig Set(string key, string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        ArgumentNullException.ThrowIfNull(value);
        _properties[key] = value;
        return this;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => _properties.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private string? Get(string key) => _properties.TryGetValue(key, out var value) ? value : null;

    private void SetOrRemove(string key, string? value)
    {
        if (value is null)
            _properties.Remove(key);
        else
            Set(key, value);
    }
}
