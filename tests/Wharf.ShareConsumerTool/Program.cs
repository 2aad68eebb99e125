using System.Globalization;
using Wharf.Client;

// Usage: Wharf.ShareConsumerTool BOOTSTRAP TOPIC GROUP ACCEPT
// Joins GROUP, accepts and commits the first ACCEPT records it gets, then keeps acquiring without acknowledging and
// prints "holding PARTITION OFFSET" for each record of the first batch it holds, then "ready", and waits to be killed.
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: Wharf.ShareConsumerTool BOOTSTRAP TOPIC GROUP ACCEPT");
    return 2;
}

var toAccept = int.Parse(args[3], CultureInfo.InvariantCulture);
using var consumer = new ShareConsumer(new ShareConsumerConfig
{
    BootstrapServers = args[0],
    GroupId = args[2],
    ClientId = "killed-consumer",
    AcknowledgementMode = ShareAcknowledgementMode.Explicit,
    MaxPollRecords = 50,
});
consumer.Subscribe([args[1]]);
var accepted = 0;
while (true)
{
    var batch = consumer.Consume(TimeSpan.FromMilliseconds(200)).Where(r => !r.IsError).ToList();
    var held = new List<ShareRecord>();
    foreach (var record in batch)
    {
        if (accepted < toAccept)
        {
            consumer.Acknowledge(record, AcknowledgeType.Accept);
            Console.WriteLine($"accepted {record.Partition} {record.Offset}");
            accepted++;
        }
        else
        {
            held.Add(record);
        }
    }

    if (batch.Count > held.Count)
    {
        var failed = consumer.CommitSync(TimeSpan.FromSeconds(15)).Where(r => !r.Succeeded).ToList();
        if (failed.Count > 0)
        {
            Console.Error.WriteLine($"commit failed: {string.Join(", ", failed)}");
            return 1;
        }
    }

    foreach (var record in held)
    {
        Console.WriteLine($"holding {record.Partition} {record.Offset}");
    }

    Console.Out.Flush();
    if (held.Count > 0)
    {
        // Hold the records, still a live member (librdkafka heartbeats on its own threads), until SIGKILL.
        Console.WriteLine("ready");
        Console.Out.Flush();
        using var forever = new ManualResetEventSlim();
        forever.Wait();
    }
}
