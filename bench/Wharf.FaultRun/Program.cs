using System.Globalization;
using System.Runtime.InteropServices;
using Confluent.Kafka;
using Wharf.FaultRun;
using Wharf.Testing.Faults;
using Wharf.Testing.Faults.Nemesis;

// The long fault run (docs/fault-testing.md): every nemesis in turn on a fresh cluster, at seeds derived from --seed,
// faults every few seconds; prints the checker's counts per nemesis, the fault events, unavailability and the seed.
if (Library.VersionString != "2.16.0")
{
    Console.Error.WriteLine($"expected librdkafka 2.16.0, loaded {Library.VersionString}");
    return 2;
}

LongRunOptions options;
try
{
    options = LongRunOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(LongRunOptions.Usage);
    return 1;
}

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

Directory.CreateDirectory(options.HistoryDirectory);
var share = options.Duration / options.Nemeses.Count;
Console.WriteLine($"fault run: seed {options.Seed}, {options.Duration.TotalSeconds:0} s under faults, {share.TotalSeconds:0} s per nemesis, histories in {options.HistoryDirectory}");
var results = new List<FaultRunResult>();
for (var i = 0; i < options.Nemeses.Count && !cancel.IsCancellationRequested; i++)
{
    var nemesis = options.Nemeses[i];
    var runOptions = new FaultRunOptions
    {
        Seed = options.Seed + i,
        Nemeses = [nemesis],
        Duration = share,
        FaultDuration = (TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(4.5)),
        Quiet = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)),
        HistoryPath = Path.Combine(options.HistoryDirectory, $"{nemesis}-seed{options.Seed + i}.jsonl"),
        Log = Console.Out,
    };
    Console.WriteLine($"== {nemesis} (seed {runOptions.Seed})");
    await using var cluster = await Wharf.Testing.Faults.FaultRun.StartClusterAsync(runOptions, cancel.Token);
    try
    {
        var result = await Wharf.Testing.Faults.FaultRun.RunAsync(cluster, runOptions, cancel.Token);
        results.Add(result);
        Console.WriteLine(result.Check.Describe());
        Console.WriteLine($"faults injected: {result.Schedule.Faults.Count}, fault events: {result.Events.Count}");
    }
    catch (Exception e) when (e is not OperationCanceledException)
    {
        Console.WriteLine($"{nemesis}: the run failed: {e.Message}");
        Console.WriteLine(cluster.DescribeLogs(maxLinesPerProcess: 40));
    }
}

Console.WriteLine();
Console.WriteLine($"== summary: seed {options.Seed}, {results.Sum(r => r.Schedule.Faults.Count)} faults injected, {results.Sum(r => r.Events.Count)} fault events");
var anomalies = Wharf.Testing.Faults.History.CheckResult.Anomalies;
Console.WriteLine(Row("nemesis", "acked", "faults", anomalies, "worst unavailability"));
foreach (var result in results)
{
    var worst = result.Check.LongestUnavailability.Values.DefaultIfEmpty(TimeSpan.Zero).Max();
    Console.WriteLine(Row(
        result.Options.Nemeses[0].ToString(),
        result.Check.AckedSends.ToString(CultureInfo.InvariantCulture),
        result.Schedule.Faults.Count.ToString(CultureInfo.InvariantCulture),
        anomalies.Select(a => result.Check[a].ToString(CultureInfo.InvariantCulture)),
        worst.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture)));
}

var valid = results.Count == options.Nemeses.Count && results.All(r => r.Check.Valid && r.UndrainedPartitions.Count == 0);
Console.WriteLine(valid ? "VALID: every anomaly count is 0" : "INVALID: see the counts above and the histories");
return valid ? 0 : 1;

static string Row(string nemesis, string acked, string faults, IEnumerable<string> counts, string worst) =>
    $"{nemesis,-28} {acked,7} {faults,6} {string.Join(' ', counts.Select(c => c.PadLeft(20)[^Math.Max(c.Length, 10)..]))}  {worst}";
