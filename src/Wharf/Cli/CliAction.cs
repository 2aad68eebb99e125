using System.CommandLine;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Wharf.Cli;

/// <summary>A failure to report to the user as one line, without a stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);

/// <summary>
/// Runs an admin command's body and turns every failure into one <c>wharf: ...</c> line on stderr and exit code 1:
/// a command never shows a stack trace. Thread-safety: stateless.
/// </summary>
internal static class CliAction
{
    public const int Failure = 1;
    public const int UsageError = 2;

    public static Func<ParseResult, CancellationToken, Task<int>> Run(Func<ParseResult, CancellationToken, Task> body) =>
        Run(async (parsed, cancellationToken) =>
        {
            await body(parsed, cancellationToken);
            return 0;
        });

    /// <summary>Like the other overload, for a command whose body chooses its exit code (a health check, say).</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> Run(Func<ParseResult, CancellationToken, Task<int>> body) =>
        async (parsed, cancellationToken) =>
        {
            try
            {
                return await body(parsed, cancellationToken);
            }
            catch (Exception e)
            {
                await Console.Error.WriteLineAsync($"wharf: {Describe(e, parsed.GetValue(GlobalOptions.Bootstrap))}");
                return Failure;
            }
        };

    private static string Describe(Exception exception, string? bootstrap)
    {
        var (subject, error) = exception switch
        {
            CreateTopicsException e => First(e.Results.Select(r => ($"topic '{r.Topic}'", r.Error))),
            DeleteTopicsException e => First(e.Results.Select(r => ($"topic '{r.Topic}'", r.Error))),
            DescribeTopicsException e => First(e.Results.TopicDescriptions.Select(r => ($"topic '{r.Name}'", r.Error))),
            DescribeConfigsException e => First(e.Results.Select(r => ($"{r.ConfigResource.Type.ToString().ToLowerInvariant()} '{r.ConfigResource.Name}'", r.Error))),
            IncrementalAlterConfigsException e => First(e.Results.Select(r => ($"{r.ConfigResource.Type.ToString().ToLowerInvariant()} '{r.ConfigResource.Name}'", r.Error))),
            CreatePartitionsException e => First(e.Results.Select(r => ($"topic '{r.Topic}'", r.Error))),
            DeleteGroupsException e => First(e.Results.Select(r => ($"group '{r.Group}'", r.Error))),
            DescribeConsumerGroupsException e => First(e.Results.ConsumerGroupDescriptions.Select(r => ($"group '{r.GroupId}'", r.Error))),
            ListConsumerGroupOffsetsException e => First(e.Results.Select(r => ($"group '{r.Group}'", r.Error))),
            AlterConsumerGroupOffsetsException e => First(e.Results.Select(r => ($"group '{r.Group}'", r.Error))
                .Concat(e.Results.SelectMany(r => r.Partitions.Select(p => ($"group '{r.Group}' {p.TopicPartition}", p.Error))))),
            ListOffsetsException e => First(e.Result.ResultInfos.Select(r => ($"{r.TopicPartitionOffsetError.TopicPartition}", r.TopicPartitionOffsetError.Error))),
            KafkaException e => (null, e.Error),
            _ => (null, null),
        };

        if (error is null)
        {
            return exception is CliException or KafkaException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}";
        }

        if (error.Code is ErrorCode.Local_TimedOut or ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown)
        {
            return $"no answer from {bootstrap} within {Admin.Timeout.TotalSeconds:0} s ({error.Reason})";
        }

        return subject is null ? error.Reason : $"{subject}: {error.Reason}";
    }

    private static (string? Subject, Error? Error) First(IEnumerable<(string Subject, Error Error)> results) =>
        results.FirstOrDefault(r => r.Error is { IsError: true }) is { Error: not null } found ? found : (null, null);
}
