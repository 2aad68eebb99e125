using Wharf.Common;
using Wharf.Metadata;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Handlers;

/// <summary>DescribeCluster (API 60), v0–1: cluster id, the active controller and the live (unfenced) brokers (endpoint type 1). Thread-safety: stateless.</summary>
public sealed class DescribeClusterHandler(Controller controller) : IRequestHandler<DescribeClusterRequest, DescribeClusterResponse>
{
    public static ApiVersionRange Versions => new(0, 1);

    public ValueTask<DescribeClusterResponse?> HandleAsync(RequestContext context, DescribeClusterRequest request, CancellationToken cancellationToken)
    {
        var image = controller.Current;
        var response = new DescribeClusterResponse { ClusterId = image.ClusterId, ControllerId = controller.Leadership.ControllerId, EndpointType = request.EndpointType };
        if (request.EndpointType != 1)
        {
            response.ErrorCode = (short)ErrorCode.UnsupportedEndpointType;
            response.ErrorMessage = "Only broker endpoints (type 1) are served.";
            return ValueTask.FromResult<DescribeClusterResponse?>(response);
        }

        foreach (var broker in image.LiveBrokers)
        {
            response.Brokers.Add(new() { BrokerId = broker.NodeId, Host = broker.Endpoints[0].Host, Port = broker.Endpoints[0].Port, Rack = broker.Rack });
        }

        return ValueTask.FromResult<DescribeClusterResponse?>(response);
    }
}
