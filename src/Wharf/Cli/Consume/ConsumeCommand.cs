using System.CommandLine;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Win32.SafeHandles;

namespace Wharf.Cli.Consume;

/// <summary>
/// <c>wharf consume TOPIC</c>: prints a topic's records, following it like <c>tail -f</c> until Ctrl+C or SIGTERM
/// (exit 0), <c>-n</c> records have been printed, or with <c>-e</c> every partition read has reached its end.
/// Without <c>--group</c> it assigns the partitions itself and commits nothing (default start: the beginning). With
/// <c>--group</c> it joins the group (or, with <c>-p</c>, reads those partitions under the group's name) and commits
/// the offsets of the records it printed; without <c>--from</c> it resumes from the committed offsets, or the
/// beginning where there are none. Records go to stdout as <see cref="RecordFormat"/> says; stdout is flushed whenever
/// no record is waiting, so a follower sees each record as it arrives.
/// Thread-safety: the rebalance handlers run inside <c>Consume</c>, on the command's thread.
/// </summary>
internal static class ConsumeCommand
{
    public static Command Create()
    {
        var topic = new Argument<string>("TOPIC") { Description = "the topic to read" };
        var group = new Option<string?>("--group", "-g") { Description = "consume as this group and commit offsets (default: no group, no commits)", HelpName = "GROUP" };
        var from = new Option<string?>("--from", "-o") { Description = $"where to start: {StartPosition.Syntax}", HelpName = "POSITION" };
        from.Validators.Add(result =>
        {
            if (result.GetValue(from) is { } text && !StartPosition.TryParse(text, out _))
            {
                result.AddError($"--from expects {StartPosition.Syntax}; got '{text}'");
            }
        });
        var partitions = new Option<string[]>("--partition", "-p") { Description = "read only these partitions, repeatable or comma-separated (e.g. -p 0,2)", HelpName = "N[,N...]" };
        partitions.Validators.Add(result =>
        {
            if (!TryParsePartitions(result.GetValue(partitions), out _, out var bad))
            {
                result.AddError($"--partition expects partition numbers (0 or more), got '{bad}'");
            }
        });
        var count = new Option<long?>("--num", "-n") { Description = "exit after printing N records", HelpName = "N" };
        count.Validators.Add(result =>
        {
            if (result.GetValue(count) is < 1)
            {
                result.AddError("--num must be 1 or more");
            }
        });
        var exitAtEnd = new Option<bool>("--exit-at-end", "-e") { Description = "exit once every partition read has reached its end, instead of following" };
        var format = new Option<string>("--format", "-f")
        {
            Description = "json (one object per line) or a template of %t %p %o %k %v %h %T and \\n \\t",
            HelpName = "json|TEMPLATE",
            DefaultValueFactory = _ => RecordFormat.Default,
        };
        format.Validators.Add(result =>
        {
            if (!RecordFormat.TryParse(result.GetValue(format) ?? "", out _, out var error))
            {
                result.AddError(error!);
            }
        });

        var command = new Command("consume", "Print a topic's records, following it until Ctrl+C (or -n / -e)")
        {
            topic, group, from, partitions, count, exitAtEnd, format,
        };
        command.SetAction(CliAction.Run(async (parsed, cancellationToken) =>
        {
            var topicName = parsed.GetRequiredValue(topic);
            var groupId = parsed.GetValue(group);
            TryParsePartitions(parsed.GetValue(partitions), out var requested, out _);
            StartPosition? start = parsed.GetValue(from) is { } fromText && StartPosition.TryParse(fromText, out var position) ? position : null;
            RecordFormat.TryParse(parsed.GetRequiredValue(format), out var recordFormat, out _);

            Dictionary<int, Offset> starts;
            using (var admin = Admin.Connect(parsed))
            {
                var existing = (await Watermarks.DescribeTopicAsync(admin, topicName)).Partitions.Select(p => p.Partition).Order().ToList();
                if (requested?.Except(existing).ToList() is [var missing, ..])
                {
                    throw new CliException($"topic '{topicName}' has no partition {missing} (it has {existing.Count}: 0-{existing.Count - 1})");
                }

                starts = await StartOffsetsAsync(admin, topicName, requested ?? existing, start, groupId is not null);
            }

            var reader = new TopicReader(topicName, starts, parsed.GetValue(exitAtEnd));
            using var interruption = new Interruption(cancellationToken);
            using var consumer = reader.Build(new ConsumerConfig
            {
                BootstrapServers = parsed.GetValue(GlobalOptions.Bootstrap),
                ClientId = "wharf-cli",

                // librdkafka needs a group id even to assign partitions; without --group nothing joins or commits.
                GroupId = groupId ?? "wharf-cli",
                EnableAutoCommit = groupId is not null,
                EnableAutoOffsetStore = false,
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnablePartitionEof = parsed.GetValue(exitAtEnd),
            });
            if (groupId is null || requested is not null)
            {
                reader.Assign(consumer);
            }
            else
            {
                consumer.Subscribe(topicName);
            }

            // Not disposed: the reader flushes it, and disposing a writer on a stdout closed by its reader would throw.
            var output = new StreamWriter(OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024);
            reader.Run(consumer, output, recordFormat!, parsed.GetValue(count), commit: groupId is not null, interruption.Token);
            if (groupId is not null)
            {
                try
                {
                    consumer.Commit();
                }
                catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_NoOffset)
                {
                    // Nothing was printed since the last commit.
                }
            }

            consumer.Close();
        }));
        return command.WithBootstrapOption();
    }

    /// <summary>
    /// stdout as a stream whose writes fail once its reader has gone (<c>| head</c>): .NET's console stream ignores a
    /// broken pipe, which would leave a follower running for ever with nobody reading. Only for a pipe or terminal: on a
    /// regular file a <see cref="FileStream"/> writes at a position of its own and never moves the descriptor's shared
    /// offset, so whatever the shell writes after us (<c>{ wharf consume ...; echo done; } &gt; log</c>) would overwrite
    /// the records; files get the console stream, which writes through the shared offset (and has no broken pipe).
    /// </summary>
    private static Stream OpenStandardOutput()
    {
        if (OperatingSystem.IsWindows())
        {
            return Console.OpenStandardOutput();
        }

        var stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (!stream.CanSeek)
        {
            return stream;
        }

        stream.Dispose();
        return Console.OpenStandardOutput();
    }

    /// <summary>Parses repeated and comma-separated partition numbers; null when none are given.</summary>
    private static bool TryParsePartitions(string[]? values, out List<int>? partitions, out string? bad)
    {
        partitions = null;
        bad = null;
        foreach (var piece in (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)))
        {
            if (!int.TryParse(piece, NumberStyles.None, CultureInfo.InvariantCulture, out var partition))
            {
                bad = piece;
                return false;
            }

            (partitions ??= []).Add(partition);
        }

        partitions = partitions?.Distinct().Order().ToList();
        return true;
    }

    /// <summary>The offset each partition starts at; <see cref="Offset.Stored"/> (committed, else the beginning) for a group without --from.</summary>
    private static async Task<Dictionary<int, Offset>> StartOffsetsAsync(IAdminClient admin, string topic, List<int> partitions, StartPosition? start, bool hasGroup)
    {
        if (start is StartPosition.Time time)
        {
            var found = await admin.ListOffsetsAsync(
                partitions.Select(p => new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(topic, p), OffsetSpec = OffsetSpec.ForTimestamp(time.At.ToUnixTimeMilliseconds()) }),
                new ListOffsetsOptions { RequestTimeout = Admin.Timeout });

            // No record at or after that time: start at the end, so only later records are read.
            return found.ResultInfos.ToDictionary(
                r => r.TopicPartitionOffsetError.Partition.Value,
                r => r.TopicPartitionOffsetError.Offset.Value >= 0 ? r.TopicPartitionOffsetError.Offset : Offset.End);
        }

        var offset = start switch
        {
            StartPosition.Beginning => Offset.Beginning,
            StartPosition.End => Offset.End,
            StartPosition.Exact exact => new Offset(exact.Offset),
            _ => hasGroup ? Offset.Stored : Offset.Beginning,
        };
        return partitions.ToDictionary(p => p, _ => offset);
    }
}
