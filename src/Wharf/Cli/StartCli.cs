using System.CommandLine;

namespace Wharf.Cli;

/// <summary>
/// <c>wharf start [--config FILE] [--set key=value]...</c>: parses start's own options and hands them, in the same
/// form, to <see cref="StartCommand"/>, which owns their meaning (and reports unknown keys itself).
/// </summary>
internal static class StartCli
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "a Kafka-style .properties file", HelpName = "FILE" };
        var set = new Option<string[]>("--set")
        {
            Description = "a broker setting, repeatable; later wins over --config and WHARF_* environment variables",
            HelpName = "key=value",
        };
        var command = new Command(
            "start",
            "Run a broker (default 127.0.0.1:9092, data in ./wharf-data); a single node, or a cluster member with " +
            "--set etcd.connect=host:port[,host:port...][/prefix] and a distinct node.id per broker. Config keys are " +
            "Kafka's; sources, later wins: defaults < --config < WHARF_* < --set (WHARF_LOG_RETENTION_MS sets " +
            "log.retention.ms). The keys set most often, with their defaults (every key: docs/configuration.md):\n" +
            CommonKeys.Render())
        {
            config,
            set,
        };
        command.SetAction(parsed =>
        {
            var arguments = new List<string>();
            if (parsed.GetValue(config) is { } file)
            {
                arguments.AddRange(["--config", file]);
            }

            foreach (var setting in parsed.GetValue(set) ?? [])
            {
                arguments.AddRange(["--set", setting]);
            }

            return StartCommand.RunAsync([.. arguments]);
        });
        return command;
    }
}
