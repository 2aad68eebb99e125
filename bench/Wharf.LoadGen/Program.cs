using System.Runtime.InteropServices;
using Confluent.Kafka;
using Wharf.LoadGen;
using Wharf.LoadGen.Cluster;
using Wharf.LoadGen.Queue;

// The generator must be the bundled librdkafka (the csproj swaps in the build that loads on Debian).
if (Library.VersionString != "2.16.0")
{
    Console.Error.WriteLine($"expected librdkafka 2.16.0, loaded {Library.VersionString}");
    return 2;
}

var command = args.Length > 0 ? args[0] : "";
if (command is not ("compare" or "cluster" or "queue"))
{
    Console.Error.WriteLine(CompareOptions.Usage);
    Console.Error.WriteLine(ClusterOptions.Usage);
    Console.Error.WriteLine(QueueOptions.Usage);
    return command is "" or "-h" or "--help" ? 0 : 1;
}

CompareOptions? compare = null;
ClusterOptions? cluster = null;
QueueOptions? queue = null;
try
{
    switch (command)
    {
        case "compare":
            compare = CompareOptions.Parse(args[1..]);
            break;
        case "cluster":
            cluster = ClusterOptions.Parse(args[1..]);
            break;
        default:
            queue = QueueOptions.Parse(args[1..]);
            break;
    }
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(command switch { "compare" => CompareOptions.Usage, "cluster" => ClusterOptions.Usage, _ => QueueOptions.Usage });
    return 1;
}

// Ctrl+C and SIGTERM both cancel, so the servers this tool started are stopped before it exits.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancel.Cancel();
});
return compare is not null ? await new Comparison(compare, Console.Out).RunAsync(cancel.Token)
    : cluster is not null ? await new ClusterBenchmark(cluster, Console.Out).RunAsync(cancel.Token)
    : await new QueueBenchmark(queue!, Console.Out).RunAsync(cancel.Token);
