using Wharf.Common;
using Wharf.Configuration;

namespace Wharf.Metadata;

/// <summary>
/// Config operations: AlterConfigs (full replace) and IncrementalAlterConfigs on topic and group resources. A group's
/// overrides need no group: Kafka lets a group be configured before it exists, and they are kept when it empties.
/// </summary>
public sealed partial class Controller
{
    private const string StaticBrokerConfigs =
        "Broker configs are static in Wharf: set them in the properties file, the environment or with --set, and restart.";

    /// <summary>
    /// AlterConfigs: each topic or group resource's overrides become exactly <see cref="AlterConfigsResource.Configs"/>
    /// (keys left out are removed). Broker resources are rejected (static configs); unknown topics give
    /// UNKNOWN_TOPIC_OR_PARTITION, bad keys or values INVALID_CONFIG.
    /// </summary>
    public Task<IReadOnlyList<AlterConfigsResult>> AlterConfigsAsync(IReadOnlyList<AlterConfigsResource> resources, bool validateOnly, CancellationToken cancellationToken) =>
        AlterAsync(resources, r => (r.Type, r.Name), (image, r) =>
        {
            if (r.Configs.GroupBy(c => c.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
            {
                return (ErrorCode.InvalidRequest, $"Config '{duplicate.Key}' is given more than once.", null);
            }

            var validation = RulesOf(r.Type).Validate(r.Configs);
            return validation.IsValid
                ? (ErrorCode.None, null, r.Configs.ToDictionary(c => c.Key, c => c.Value!.Trim(), StringComparer.Ordinal))
                : (validation.Error, validation.Message, null);
        }, validateOnly, cancellationToken);

    /// <summary>
    /// IncrementalAlterConfigs: SET and DELETE keys of a topic's or group's overrides, APPEND to or SUBTRACT from list
    /// keys (starting from the effective value when the topic has no override). The result must validate as a whole.
    /// </summary>
    public Task<IReadOnlyList<AlterConfigsResult>> IncrementalAlterConfigsAsync(IReadOnlyList<IncrementalAlterConfigsResource> resources, bool validateOnly, CancellationToken cancellationToken) =>
        AlterAsync(resources, r => (r.Type, r.Name), (image, r) => ApplyOperations(Overrides(image, r.Type, r.Name), r.Configs, RulesOf(r.Type)), validateOnly, cancellationToken);

    /// <summary>The stored overrides of a topic or group resource.</summary>
    private static IReadOnlyDictionary<string, string> Overrides(MetadataImage image, ConfigResourceType type, string name) =>
        type == ConfigResourceType.Group ? image.GetGroupConfigs(name) : image.GetTopicConfigs(name);

    private ConfigRules RulesOf(ConfigResourceType type) => type == ConfigResourceType.Group
        ? new ConfigRules(GroupConfigResolver.IsGroupKey, k => ConfigCatalogue.Group[k], GroupConfigs.ValidateOne, GroupConfigs.Validate, null)
        : new ConfigRules(TopicConfigResolver.IsTopicKey, k => ConfigCatalogue.Topic[k], TopicConfigs.ValidateOne, TopicConfigs.Validate,
            (overrides, key) => TopicConfigs.Resolve(overrides).GetList(key));

    private async Task<IReadOnlyList<AlterConfigsResult>> AlterAsync<TResource>(
        IReadOnlyList<TResource> resources,
        Func<TResource, (ConfigResourceType Type, string Name)> identify,
        Func<MetadataImage, TResource, (ErrorCode Error, string? Message, Dictionary<string, string>? Overrides)> plan,
        bool validateOnly,
        CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var ids = resources.Select(identify).ToArray();
            if (NotControllerError() is { } notController)
            {
                return ids.Select(id => new AlterConfigsResult(id.Type, id.Name, ErrorCode.NotController, notController)).ToArray();
            }

            var duplicates = ids.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
            var image = Current;
            var results = new AlterConfigsResult[resources.Count];
            var records = new List<MetadataRecord>();
            var accepted = new List<int>();
            for (var i = 0; i < resources.Count; i++)
            {
                var (type, name) = ids[i];
                (ErrorCode Error, string? Message, Dictionary<string, string>? Overrides) outcome;
                if (duplicates.Contains(ids[i]))
                {
                    outcome = (ErrorCode.InvalidRequest, $"Resource {type} '{name}' appears more than once in the request.", null);
                }
                else if (type == ConfigResourceType.Broker)
                {
                    outcome = (ErrorCode.InvalidRequest, StaticBrokerConfigs, null);
                }
                else if (type is not (ConfigResourceType.Topic or ConfigResourceType.Group))
                {
                    outcome = (ErrorCode.InvalidRequest, $"Altering configs of resource type {type} is not supported.", null);
                }
                else if (type == ConfigResourceType.Group && name.Length == 0)
                {
                    outcome = (ErrorCode.InvalidRequest, "A group config resource needs a group id.", null);
                }
                else if (type == ConfigResourceType.Topic && !image.TryGetTopic(name, out _))
                {
                    outcome = (ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.", null);
                }
                else
                {
                    outcome = plan(image, resources[i]);
                }

                results[i] = new AlterConfigsResult(type, name, outcome.Error, outcome.Message);
                if (outcome.Overrides is { } overrides)
                {
                    records.AddRange(Diff(type, name, Overrides(image, type, name), overrides));
                    accepted.Add(i);
                }
            }

            if (!validateOnly)
            {
                await CommitAcceptedAsync(records, accepted, results, (i, error, message) => results[i] with { Error = error, ErrorMessage = message }).ConfigureAwait(false);
            }

            return results;
        }
        finally
        {
            _writer.Release();
        }
    }

    private static (ErrorCode Error, string? Message, Dictionary<string, string>? Overrides) ApplyOperations(
        IReadOnlyDictionary<string, string> current, IReadOnlyList<AlterableConfig> operations, ConfigRules rules)
    {
        if (operations.GroupBy(o => o.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            return (ErrorCode.InvalidRequest, $"Config '{duplicate.Key}' is given more than once.", null);
        }

        var overrides = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var operation in operations)
        {
            if (!rules.IsKey(operation.Name))
            {
                var unknown = rules.ValidateOne(operation.Name, operation.Value);
                return (unknown.Error, unknown.Message, null);
            }

            switch (operation.Operation)
            {
                case AlterConfigOperation.Set:
                    var validation = rules.ValidateOne(operation.Name, operation.Value);
                    if (!validation.IsValid)
                    {
                        return (validation.Error, validation.Message, null);
                    }

                    overrides[operation.Name] = operation.Value!.Trim();
                    break;
                case AlterConfigOperation.Delete:
                    overrides.Remove(operation.Name);
                    break;
                case AlterConfigOperation.Append or AlterConfigOperation.Subtract:
                    if (rules.Definition(operation.Name).Type != ConfigType.List || rules.EffectiveList is null)
                    {
                        return (ErrorCode.InvalidConfig, $"Config '{operation.Name}' is not a list; {operation.Operation.ToString().ToUpperInvariant()} applies only to list configs.", null);
                    }

                    if (operation.Value is null)
                    {
                        return (ErrorCode.InvalidConfig, $"{operation.Operation.ToString().ToUpperInvariant()} on '{operation.Name}' needs a value.", null);
                    }

                    var items = rules.EffectiveList(overrides, operation.Name).ToList();
                    var changes = operation.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                    if (operation.Operation == AlterConfigOperation.Append)
                    {
                        items.AddRange(changes.Where(c => !items.Contains(c)).Distinct());
                    }
                    else
                    {
                        items.RemoveAll(changes.Contains);
                    }

                    overrides[operation.Name] = string.Join(",", items);
                    break;
                default:
                    return (ErrorCode.InvalidRequest, $"Unknown config operation {(sbyte)operation.Operation} for '{operation.Name}'.", null);
            }
        }

        var result = rules.Validate(overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)));
        return result.IsValid ? (ErrorCode.None, null, overrides) : (result.Error, result.Message, null);
    }

    /// <summary>ConfigRecords turning <paramref name="before"/> into <paramref name="after"/>: removals, then changed or new keys.</summary>
    private static IEnumerable<MetadataRecord> Diff(
        ConfigResourceType type, string name, IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        foreach (var key in before.Keys.Where(k => !after.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            yield return new ConfigRecord(type, name, key, null);
        }

        foreach (var (key, value) in after.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (!before.TryGetValue(key, out var old) || old != value)
            {
                yield return new ConfigRecord(type, name, key, value);
            }
        }
    }

    /// <summary>
    /// What an alter needs to know of one resource type's keys. <see cref="EffectiveList"/> gives a list key's effective
    /// value for APPEND and SUBTRACT; null when the type has no list keys.
    /// </summary>
    private sealed record ConfigRules(
        Func<string, bool> IsKey,
        Func<string, ConfigDefinition> Definition,
        Func<string, string?, ConfigValidationResult> ValidateOne,
        Func<IEnumerable<KeyValuePair<string, string?>>, ConfigValidationResult> Validate,
        Func<IReadOnlyDictionary<string, string>, string, IReadOnlyList<string>>? EffectiveList);
}
