namespace Wharf;

/// <summary>The <c>wharf</c> command line.</summary>
internal static class Program
{
    private const string Usage = """
        usage: wharf start [--config FILE] [--set key=value]...

          start    run a broker (default: 127.0.0.1:9092, data in ./wharf-data); a single node, or a cluster member
                   with --set etcd.connect=host:port[,host:port...][/prefix] and a distinct node.id per broker

        Config keys are Kafka's (e.g. listeners, log.dirs, num.partitions, log.retention.ms, log.flush.mode);
        sources, later wins: defaults < --config file < WHARF_* environment < --set.
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        return args[0] switch
        {
            "start" => await StartCommand.RunAsync(args[1..]),
            _ => Fail($"unknown command '{args[0]}'"),
        };
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"wharf: {message}\n\n{Usage}");
        return 2;
    }
}
