using System.CommandLine;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cli.Cluster;

/// <summary><c>wharf cluster info</c>: the cluster id, the controller and the brokers.</summary>
internal static class ClusterInfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show the cluster id, the controller and the brokers");
        command.SetAction(CliAction.Run(async (parsed, _) =>
        {
            using var admin = Admin.Connect(parsed);
            var cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { RequestTimeout = Admin.Timeout });
            var view = new ClusterView(
                cluster.ClusterId,
                cluster.Controller?.Id ?? -1,
                [.. cluster.Nodes.OrderBy(n => n.Id).Select(n => new BrokerView(n.Id, n.Host, n.Port, n.Id == cluster.Controller?.Id))]);
            if (Output.IsJson(parsed))
            {
                Output.Json(view);
                return;
            }

            Output.Section("CLUSTER", first: true);
            Output.Table(["CLUSTER-ID", "CONTROLLER"], [[view.ClusterId ?? "", $"{view.ControllerId}"]]);
            Output.Section("BROKERS");
            Output.Table(["ID", "HOST", "PORT", "CONTROLLER"], view.Brokers.Select(b => new[] { $"{b.Id}", b.Host, $"{b.Port}", b.Controller ? "*" : "" }));
        }));
        return command;
    }

    private sealed record ClusterView(string? ClusterId, int ControllerId, IReadOnlyList<BrokerView> Brokers);

    private sealed record BrokerView(int Id, string Host, int Port, bool Controller);
}
