using Confluent.Kafka;
using Wharf.LoadGen;

// The generator must be the bundled librdkafka (the csproj swaps in the build that loads on Debian).
if (Library.VersionString != "2.16.0")
{
    Console.Error.WriteLine($"expected librdkafka 2.16.0, loaded {Library.VersionString}");
    return 2;
}

if (args.Length == 0 || args[0] != "compare")
{
    Console.Error.WriteLine(CompareOptions.Usage);
    return args.Length == 0 || args[0] is "-h" or "--help" ? 0 : 1;
}

CompareOptions options;
try
{
    options = CompareOptions.Parse(args[1..]);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(CompareOptions.Usage);
    return 1;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
return await new Comparison(options, Console.Out).RunAsync(cancel.Token);
