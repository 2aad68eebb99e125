using System.CommandLine;
using Confluent.Kafka;

namespace Wharf.Cli.Produce;

/// <summary>
/// <c>wharf produce TOPIC</c>: one record per input line, from stdin or <c>--file</c>, through Confluent's producer.
/// Waits for every delivery report before it exits; any failed delivery makes the command fail (exit 1, one line
/// naming how many records were lost and the first error). The summary goes to stderr as one line
/// (<c>produced N records to TOPIC</c>), or with <c>--format json</c> to stdout as one document, so stdout stays
/// free for pipelines. On a terminal a status line shows progress while a large input is sent.
/// </summary>
internal static class ProduceCommand
{
    /// <summary>How long a record may wait for its delivery (an unknown topic or an unreachable leader included).</summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan UnknownTopicTimeout = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        var topic = new Argument<string>("TOPIC") { Description = "the topic to write to" };
        var file = new Option<FileInfo?>("--file") { Description = "read records from this file instead of stdin", HelpName = "PATH" };
        var keyDelimiter = new Option<string?>("--key-delim", "-k")
        {
            Description = "split each line into key and value at the first occurrence of STR (lines without it get a null key)",
            HelpName = "STR",
        };
        var header = new Option<string[]>("--header", "-H") { Description = "a header on every record, repeatable", HelpName = "key=value" };
        var partition = new Option<int?>("--partition", "-p") { Description = "write every record to this partition (default: by key)", HelpName = "N" };
        partition.Validators.Add(result =>
        {
            if (result.GetValue(partition) is < 0)
            {
                result.AddError("--partition must be 0 or more");
            }
        });
        var compression = new Option<string>("--compression", "-z")
        {
            Description = "compression codec",
            DefaultValueFactory = _ => "none",
        }.AcceptOnlyFromAmong("none", "gzip", "snappy", "lz4", "zstd");
        var acks = new Option<string>("--acks")
        {
            Description = "acknowledgements to wait for: all in-sync replicas, the leader, or none",
            DefaultValueFactory = _ => "all",
        }.AcceptOnlyFromAmong("all", "1", "0");

        var command = new Command("produce", "Write records to a topic, one per line from stdin or --file")
        {
            topic, file, keyDelimiter, header, partition, compression, acks,
        };
        command.SetAction(CliAction.Run(async (parsed, cancellationToken) =>
        {
            var topicName = parsed.GetRequiredValue(topic);
            var input = new RecordInput(parsed.GetValue(keyDelimiter), RecordInput.ParseHeaders(parsed.GetValue(header) ?? []));
            using var reader = Open(parsed.GetValue(file));
            var tally = new DeliveryTally();
            var status = StatusLine.OnStandardError();
            long sent = 0;

            using (var producer = Connect(parsed, parsed.GetRequiredValue(compression), parsed.GetRequiredValue(acks)))
            {
                var target = parsed.GetValue(partition) is { } fixedPartition ? new TopicPartition(topicName, fixedPartition) : null;
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    var message = input.ToMessage(line);
                    Send(producer, topicName, target, message, tally.Report);
                    sent++;
                    status.Update(() => $"producing to {topicName}: {sent} sent, {tally.Delivered} delivered");
                }

                while (producer.Flush(TimeSpan.FromMilliseconds(200)) > 0)
                {
                    status.Update(() => $"producing to {topicName}: {sent} sent, {tally.Delivered} delivered");
                }
            }

            status.Clear();
            if (tally.Failed > 0)
            {
                throw new CliException($"{tally.Failed} of {sent} records were not delivered to '{topicName}': {tally.FirstError?.Reason}");
            }

            if (Output.IsJson(parsed))
            {
                Output.Json(new Produced(topicName, tally.Delivered, tally.Partitions()));
            }
            else
            {
                await Console.Error.WriteLineAsync($"produced {tally.Delivered} records to {topicName}");
            }
        }));
        return command.WithGlobalOptions();
    }

    private static TextReader Open(FileInfo? file)
    {
        if (file is null)
        {
            return Console.In;
        }

        try
        {
            return file.OpenText();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {file.FullName}: {e.Message}");
        }
    }

    private static IProducer<byte[]?, byte[]> Connect(ParseResult parsed, string compression, string acks)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = parsed.GetValue(GlobalOptions.Bootstrap),
            ClientId = "wharf-cli",
            Acks = acks switch { "0" => Acks.None, "1" => Acks.Leader, _ => Acks.All },
            CompressionType = Enum.Parse<CompressionType>(compression, ignoreCase: true),
            MessageTimeoutMs = (int)DeliveryTimeout.TotalMilliseconds,
            LingerMs = 5,
        };

        // How long an unknown topic may take to appear before its records fail: librdkafka's 30 s default is meant for
        // topics just created elsewhere; a user who misspelt a topic should hear so in seconds. (A cluster that creates
        // topics on demand creates it with the first metadata request, so this does not delay that case.)
        config.Set("topic.metadata.propagation.max.ms", $"{(int)UnknownTopicTimeout.TotalMilliseconds}");

        // librdkafka logs connection failures to stderr on its own; the command reports failed deliveries once itself.
        return new ProducerBuilder<byte[]?, byte[]>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
    }

    /// <summary>Queues one record; when the producer's queue is full, waits for deliveries to make room.</summary>
    private static void Send(IProducer<byte[]?, byte[]> producer, string topic, TopicPartition? target, Message<byte[]?, byte[]> message, Action<DeliveryReport<byte[]?, byte[]>> onDelivery)
    {
        while (true)
        {
            try
            {
                if (target is null)
                {
                    producer.Produce(topic, message, onDelivery);
                }
                else
                {
                    producer.Produce(target, message, onDelivery);
                }

                return;
            }
            catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    private sealed record Produced(string Topic, long Records, IReadOnlyList<PartitionDelivery> Partitions);
}
