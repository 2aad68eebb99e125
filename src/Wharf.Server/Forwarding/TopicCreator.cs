using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;
using CreateTopicRequest = Wharf.Metadata.CreateTopicRequest;

namespace Wharf.Server.Forwarding;

/// <summary>
/// Creates a topic unless it exists, from whichever broker needs it: auto-creation for Metadata, the coordinators'
/// internal topics on first FindCoordinator. On the active controller (and on a single node) the controller creates it;
/// elsewhere a CreateTopics request goes to the controller through <see cref="ControllerForwarder"/> and the answer
/// waits until this broker's own image holds the topic, so the caller can describe it at once.
/// Thread-safety: stateless over thread-safe parts.
/// </summary>
public sealed class TopicCreator(Controller controller, ControllerForwarder forwarder)
{
    /// <summary>CreateTopics version used when forwarding (the newest the local handler serves).</summary>
    private const short ForwardedVersion = 4;

    /// <summary>How long a forwarded creation waits for this broker's image to show the topic.</summary>
    private static readonly TimeSpan ImageWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Auto-creation (Metadata): creates <paramref name="name"/> with the broker defaults when
    /// <c>auto.create.topics.enable</c> allows it; UNKNOWN_TOPIC_OR_PARTITION otherwise.
    /// </summary>
    public Task<(ErrorCode Error, string? Message)> AutoCreateAsync(string name, CancellationToken cancellationToken) =>
        controller.AutoCreateRefusal(name) is { } refused
            ? Task.FromResult<(ErrorCode, string?)>((refused.Error, refused.ErrorMessage))
            : EnsureAsync(new CreateTopicRequest(name), cancellationToken);

    /// <summary>Creates the topic of <paramref name="request"/> unless it exists; an existing topic is a success.</summary>
    public async Task<(ErrorCode Error, string? Message)> EnsureAsync(CreateTopicRequest request, CancellationToken cancellationToken)
    {
        if (controller.Current.TryGetTopic(request.Name, out _))
        {
            return (ErrorCode.None, null);
        }

        if (!forwarder.ShouldForward)
        {
            var result = await controller.EnsureTopicAsync(request, cancellationToken).ConfigureAwait(false);
            return (result.Error, result.ErrorMessage);
        }

        var forwarded = new CreateTopicsRequest { timeoutMs = (int)ImageWait.TotalMilliseconds };
        forwarded.Topics.Add(new()
        {
            Name = request.Name,
            NumPartitions = request.NumPartitions,
            ReplicationFactor = request.ReplicationFactor,
            Configs = [.. (request.Configs ?? []).Select(c => new CreateTopicsRequest.CreatableTopicConfig { Name = c.Key, Value = c.Value })],
        });
        CreateTopicsResponse response;
        try
        {
            response = await forwarder.ForwardAsync<CreateTopicsRequest, CreateTopicsResponse>(forwarded, ForwardedVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            return (ErrorCode.NotController, $"The controller could not be reached to create '{request.Name}': {e.Message}");
        }

        var error = (ErrorCode)response.Topics[0].ErrorCode;
        if (error is not ErrorCode.None and not ErrorCode.TopicAlreadyExists)
        {
            return (error, response.Topics[0].ErrorMessage);
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(ImageWait);
        try
        {
            await controller.WaitForImageAsync(image => image.TryGetTopic(request.Name, out _), wait.Token).ConfigureAwait(false);
            return (ErrorCode.None, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (ErrorCode.LeaderNotAvailable, $"Topic '{request.Name}' was created but is not in this broker's metadata yet.");
        }
    }
}
