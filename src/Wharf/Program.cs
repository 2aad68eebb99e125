using System.CommandLine;
using Wharf.Cli;
using Wharf.Cli.Cluster;
using Wharf.Cli.Groups;
using Wharf.Cli.Topics;

namespace Wharf;

/// <summary>
/// The <c>wharf</c> command line: <c>start</c> runs a broker; the nouns <c>topic</c>, <c>group</c> and <c>cluster</c>
/// administer any Kafka-compatible cluster through the Kafka protocol. Errors are one <c>wharf: ...</c> line on stderr
/// and a non-zero exit code (2 for bad usage, 1 for a failed operation).
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Wharf: a Kafka-compatible message broker, and a CLI for any Kafka-compatible cluster.")
        {
            StartCli.Create(),
            TopicCommand.Create(),
            GroupCommand.Create(),
            ClusterCommand.Create(),
        };

        root.Options.OfType<VersionOption>().Single().Action = new VersionAction();
        if (args.Length == 0)
        {
            await root.Parse(["--help"]).InvokeAsync();
            return CliAction.UsageError;
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            await Console.Error.WriteLineAsync($"wharf: {parsed.Errors[0].Message} (see 'wharf --help')");
            return CliAction.UsageError;
        }

        // No termination timeout: `wharf start` handles SIGINT/SIGTERM itself and must be allowed to stop cleanly,
        // however long that takes; System.CommandLine would otherwise force the exit after two seconds.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
