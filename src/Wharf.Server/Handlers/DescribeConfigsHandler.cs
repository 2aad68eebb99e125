using Wharf.Common;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>
/// DescribeConfigs (API 32), v0–4. Topic resources list every topic config with its effective value, source and
/// (on request) synonyms and documentation — admin tools expect the full list, defaults included; broker
/// resources describe this broker's static config; group resources (KIP-848) list every group key, with
/// DYNAMIC_GROUP_CONFIG for the group's own overrides, whether or not the group exists. v0 has no source: its
/// <c>is_default</c> is true when the resource itself does not set the key (a topic or group without an override, a
/// broker key left at its default). Thread-safety: stateless.
/// </summary>
public sealed class DescribeConfigsHandler(Controller controller) : IRequestHandler<DescribeConfigsRequest, DescribeConfigsResponse>
{
    public static ApiVersionRange Versions => new(0, 4);

    public ValueTask<DescribeConfigsResponse?> HandleAsync(RequestContext context, DescribeConfigsRequest request, CancellationToken cancellationToken)
    {
        var image = controller.Current;
        var response = new DescribeConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Results.Add(result);
            IReadOnlyList<ConfigEntry>? entries = null;
            switch ((ConfigResourceType)resource.ResourceType)
            {
                case ConfigResourceType.Topic when image.TryGetTopic(resource.ResourceName, out _):
                    entries = controller.TopicConfigs.Describe(image.GetTopicConfigs(resource.ResourceName), resource.ConfigurationKeys);
                    break;
                case ConfigResourceType.Topic:
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                    result.ErrorMessage = $"Topic '{resource.ResourceName}' does not exist.";
                    break;
                case ConfigResourceType.Group when resource.ResourceName.Length > 0:
                    entries = controller.GroupConfigs.Describe(image.GetGroupConfigs(resource.ResourceName), resource.ConfigurationKeys);
                    break;
                case ConfigResourceType.Broker when resource.ResourceName.Length == 0 || resource.ResourceName == image.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture):
                    var all = controller.Config.Describe();
                    entries = resource.ConfigurationKeys is { } keys ? [.. all.Where(e => keys.Contains(e.Name))] : all;
                    break;
                default:
                    result.ErrorCode = (short)ErrorCode.InvalidRequest;
                    result.ErrorMessage = $"Cannot describe resource type {resource.ResourceType} '{resource.ResourceName}'.";
                    break;
            }

            foreach (var entry in entries ?? [])
            {
                result.Configs.Add(new()
                {
                    Name = entry.Name,
                    Value = entry.IsSensitive ? null : entry.Value,
                    ReadOnly = entry.IsReadOnly,
                    ConfigSource = (sbyte)entry.Source,
                    IsDefaultConfig = (ConfigResourceType)resource.ResourceType switch
                    {
                        ConfigResourceType.Topic => entry.Source != KafkaConfigSource.DynamicTopicConfig,
                        ConfigResourceType.Group => entry.Source != KafkaConfigSource.DynamicGroupConfig,
                        _ => entry.Source == KafkaConfigSource.DefaultConfig,
                    },
                    IsSensitive = entry.IsSensitive,
                    ConfigType = (sbyte)entry.Type,
                    Documentation = request.IncludeDocumentation ? entry.Documentation : null,
                    Synonyms = request.IncludeSynonyms
                        ? [.. entry.Synonyms.Select(s => new DescribeConfigsResponse.DescribeConfigsSynonym { Name = s.Name, Value = s.Value, Source = (sbyte)s.Source })]
                        : [],
                });
            }
        }

        return ValueTask.FromResult<DescribeConfigsResponse?>(response);
    }
}
