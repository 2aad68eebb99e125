using System.CommandLine;
using Wharf.Cli;
using Wharf.Cli.Cluster;
using Wharf.Cli.Completion;
using Wharf.Cli.Consume;
using Wharf.Cli.Groups;
using Wharf.Cli.Produce;
using Wharf.Cli.Topics;

namespace Wharf;

/// <summary>
/// The <c>wharf</c> command line: <c>start</c> runs a broker; the nouns <c>topic</c>, <c>group</c> and <c>cluster</c>
/// administer any Kafka-compatible cluster through the Kafka protocol, <c>produce</c> and <c>consume</c> write and read
/// records, and <c>completion</c> prints a shell completion script. Errors are one <c>wharf: ...</c> line on stderr
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
            ProduceCommand.Create(),
            ConsumeCommand.Create(),
            CompletionCommand.Create(),
        };

        root.Options.OfType<VersionOption>().Single().Action = new VersionAction();
        if (args.Length == 0)
        {
            await root.Parse(["--help"]).InvokeAsync();
            return CliAction.UsageError;
        }

        // No response files: '@' starts a timestamp in `consume --from @1700000000000`, not a file of arguments.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parsed.Errors.Count > 0)
        {
            // One line, even for messages that list the allowed values one per line.
            var message = string.Join(' ', parsed.Errors[0].Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            await Console.Error.WriteLineAsync($"wharf: {message} (see 'wharf --help')");
            return CliAction.UsageError;
        }

        // No termination timeout: `wharf start` handles SIGINT/SIGTERM itself and must be allowed to stop cleanly,
        // however long that takes; System.CommandLine would otherwise force the exit after two seconds.
        return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
