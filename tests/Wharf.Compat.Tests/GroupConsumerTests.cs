using System.Text.RegularExpressions;
using Wharf.Compat.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Wharf.Compat.Tests;

/// <summary>
/// Consumer groups with each outside client: two members of one group on a 4-partition topic split the partitions
/// between them, and once the group is stable every produced message is consumed exactly once across the group.
/// Members run as child processes reporting their assignment and each record line by line; the test waits on those
/// lines (no sleeps) and stops members with SIGTERM (a clean close), killing them if they linger.
/// </summary>
public sealed partial class GroupConsumerTests(ITestOutputHelper output)
{
    private const int Partitions = 4;
    private const int RecordCount = 200;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [RequiresToolFact(ExternalTool.Kcat)]
    public Task Kcat_TwoBalancedConsumers_SplitTheTopic_AndConsumeEachMessageOnce()
    {
        ExternalTools.Require(ExternalTool.Kcat);
        return TwoMembersShareATopicAsync(
            (bootstrap, group, topic) => StreamingProcess.Start(ExternalTools.Kcat, [
                "-b", bootstrap, "-G", group, "-u", "-f", "msg %p %o %s\\n",
                "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
                "-X", "fetch.wait.max.ms=200", topic]),
            KcatAssignment);
    }

    [RequiresToolFact(ExternalTool.KafkaPython, ExternalTool.Kcat)]
    public Task KafkaPython_TwoGroupMembers_SplitTheTopic_AndConsumeEachMessageOnce()
    {
        ExternalTools.Require(ExternalTool.KafkaPython, ExternalTool.Kcat);
        return TwoMembersShareATopicAsync(
            (bootstrap, group, topic) => StreamingProcess.Start(
                ExternalTools.SystemPython,
                [Path.Combine(ExternalTools.PythonScripts, "group_member.py"), bootstrap, group, topic],
                new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["PYTHONIOENCODING"] = "utf-8", ["PYTHONUNBUFFERED"] = "1" },
                ExternalTools.PythonScripts),
            ScriptAssignment);
    }

    [RequiresToolFact(ExternalTool.KafkaJs, ExternalTool.Kcat)]
    public Task KafkaJs_TwoGroupMembers_SplitTheTopic_AndConsumeEachMessageOnce()
    {
        ExternalTools.Require(ExternalTool.KafkaJs, ExternalTool.Kcat);
        return TwoMembersShareATopicAsync(
            (bootstrap, group, topic) => StreamingProcess.Start(
                ExternalTools.Node,
                [Path.Combine(ExternalTools.NodeScripts, "group_member.js"), bootstrap, group, topic],
                new Dictionary<string, string> { ["KAFKAJS_NO_PARTITIONER_WARNING"] = "1" },
                ExternalTools.NodeScripts),
            ScriptAssignment);
    }

    [RequiresToolFact(ExternalTool.Kcat)]
    public async Task Kcat_KilledMember_ItsPartitionsMoveToTheOtherWithinTheSessionTimeout()
    {
        ExternalTools.Require(ExternalTool.Kcat);
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("grp-kill");
        var group = TestBroker.TopicName("group");
        await broker.CreateTopicAsync(topic, Partitions);
        StreamingProcess StartKcat() => StreamingProcess.Start(ExternalTools.Kcat, [
            "-b", broker.BootstrapServers, "-G", group, "-u", "-f", "msg %p %o %s\\n",
            "-X", "auto.offset.reset=earliest", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500", topic]);
        await using var a = StartKcat();
        await using var b = StartKcat();
        try
        {
            // Both must hold one generation's split: the first member to join owned every partition for a moment, and
            // its line saying so is still its last until it notices the rebalance.
            await StreamingProcess.WaitUntilAsync(
                () => KcatAssignment(a) is { Length: > 0 } pa && KcatAssignment(b) is { Length: > 0 } pb
                    && pa.Concat(pb).Order().SequenceEqual(Enumerable.Range(0, Partitions)),
                Timeout,
                "both members to split the partitions",
                a,
                b);
            var rebalancesOfB = Rebalances(b).Count();
            var killedAt = DateTime.UtcNow;
            await a.DisposeAsync(); // kill -9: no LeaveGroup, the session must time out
            await StreamingProcess.WaitUntilAsync(
                () => Rebalances(b).Count() > rebalancesOfB && KcatAssignment(b) is { Length: Partitions },
                Timeout,
                "b to take over every partition",
                b);
            var takeover = DateTime.UtcNow - killedAt;
            output.WriteLine($"takeover after kill -9: {takeover.TotalSeconds:F1} s (session.timeout.ms=6000)");
            Assert.InRange(takeover, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(12));

            await new Kcat(broker.BootstrapServers).ProduceAsync(topic, Enumerable.Range(0, RecordCount).Select(i => ($"k{i}", $"v{i:D4}")));
            await StreamingProcess.WaitUntilAsync(() => Messages(b).Select(m => m.Value).Distinct().Count() >= RecordCount, Timeout, "b to read every message", b);
        }
        catch
        {
            output.WriteLine(b.Describe());
            throw;
        }
        finally
        {
            await b.StopAsync(TimeSpan.FromSeconds(15));
        }
    }

    private async Task TwoMembersShareATopicAsync(Func<string, string, string, StreamingProcess> startMember, Func<StreamingProcess, int[]?> assignmentOf)
    {
        await using var broker = await TestBroker.StartAsync(output);
        var topic = TestBroker.TopicName("grp");
        var group = TestBroker.TopicName("group");
        await broker.CreateTopicAsync(topic, Partitions);

        await using var a = startMember(broker.BootstrapServers, group, topic);
        await using var b = startMember(broker.BootstrapServers, group, topic);
        try
        {
            // Steady state: both members own partitions, together all of them, none twice.
            await StreamingProcess.WaitUntilAsync(
                () => assignmentOf(a) is { Length: > 0 } pa && assignmentOf(b) is { Length: > 0 } pb
                    && pa.Concat(pb).Order().SequenceEqual(Enumerable.Range(0, Partitions)),
                Timeout,
                "both members to split the partitions",
                a,
                b);
            var ownedByA = assignmentOf(a)!;
            var ownedByB = assignmentOf(b)!;

            await new Kcat(broker.BootstrapServers).ProduceAsync(topic, Enumerable.Range(0, RecordCount).Select(i => ($"k{i}", $"v{i:D4}")));
            await StreamingProcess.WaitUntilAsync(
                () => Messages(a).Count + Messages(b).Count >= RecordCount,
                Timeout,
                $"{RecordCount} messages across the group",
                a,
                b);

            var fromA = Messages(a);
            var fromB = Messages(b);
            Assert.All(fromA, m => Assert.Contains(m.Partition, ownedByA));
            Assert.All(fromB, m => Assert.Contains(m.Partition, ownedByB));
            var values = fromA.Concat(fromB).Select(m => m.Value).ToList();
            Assert.Equal(RecordCount, values.Count);
            Assert.Equal(Enumerable.Range(0, RecordCount).Select(i => $"v{i:D4}"), values.Order(StringComparer.Ordinal));
            Assert.NotEmpty(fromA);
            Assert.NotEmpty(fromB);
            output.WriteLine($"member a owned [{string.Join(',', ownedByA)}] and read {fromA.Count}; member b owned [{string.Join(',', ownedByB)}] and read {fromB.Count}");
        }
        catch
        {
            output.WriteLine(a.Describe());
            output.WriteLine(b.Describe());
            throw;
        }
        finally
        {
            await a.StopAsync(TimeSpan.FromSeconds(15));
            await b.StopAsync(TimeSpan.FromSeconds(15));
        }
    }

    private static List<(int Partition, long Offset, string Value)> Messages(StreamingProcess member) =>
        [.. member.StandardOutput
            .Where(line => line.StartsWith("msg ", StringComparison.Ordinal))
            .Select(line => line.Split(' ', 4))
            .Select(parts => (int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), parts[3]))];

    /// <summary>The scripts print "assigned P,P" after each rebalance; the last line is the current assignment.</summary>
    private static int[]? ScriptAssignment(StreamingProcess member) =>
        member.StandardOutput.LastOrDefault(line => line.StartsWith("assigned", StringComparison.Ordinal)) is { } line
            ? [.. line["assigned".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse)]
            : null;

    /// <summary>kcat reports rebalances on stderr: "% Group g rebalanced (memberid m): assigned: t [0], t [2]" (or "revoked: ...").</summary>
    private static int[]? KcatAssignment(StreamingProcess member)
    {
        var last = Rebalances(member).LastOrDefault();
        if (last is null || !last.Contains("assigned:", StringComparison.Ordinal))
        {
            return null;
        }

        return [.. PartitionPattern().Matches(last[last.IndexOf("assigned:", StringComparison.Ordinal)..]).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];
    }

    private static IEnumerable<string> Rebalances(StreamingProcess member) =>
        member.StandardError.Where(line => line.Contains("rebalanced", StringComparison.Ordinal));

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex PartitionPattern();
}
