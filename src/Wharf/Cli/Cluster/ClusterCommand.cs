using System.CommandLine;

namespace Wharf.Cli.Cluster;

/// <summary><c>wharf cluster ...</c>: info, health.</summary>
internal static class ClusterCommand
{
    public static Command Create() => new Command("cluster", "Inspect the cluster")
    {
        ClusterInfoCommand.Create(),
        ClusterHealthCommand.Create(),
    }.WithGlobalOptions();
}
