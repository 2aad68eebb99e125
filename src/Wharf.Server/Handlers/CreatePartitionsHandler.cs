using Wharf.Metadata;
using CreatePartitionsRequest = Wharf.Protocol.Messages.CreatePartitionsRequest;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>CreatePartitions (API 37), v0–3: grows topics through the controller. Thread-safety: stateless.</summary>
public sealed class CreatePartitionsHandler(Controller controller) : IRequestHandler<CreatePartitionsRequest, CreatePartitionsResponse>
{
    public static ApiVersionRange Versions => new(0, 3);

    public async ValueTask<CreatePartitionsResponse?> HandleAsync(RequestContext context, CreatePartitionsRequest request, CancellationToken cancellationToken)
    {
        var topics = request.Topics.Select(t => new Metadata.CreatePartitionsRequest(
            t.Name,
            t.Count,
            t.Assignments?.Select(a => (IReadOnlyList<int>)a.BrokerIds).ToList())).ToList();
        var results = await controller.CreatePartitionsAsync(topics, request.ValidateOnly, cancellationToken).ConfigureAwait(false);
        var response = new CreatePartitionsResponse();
        foreach (var result in results)
        {
            response.Results.Add(new() { Name = result.Name, ErrorCode = (short)result.Error, ErrorMessage = result.ErrorMessage });
        }

        return response;
    }
}
