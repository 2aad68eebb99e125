using Wharf.Testing.Faults.History;

namespace Wharf.Fault.Tests.Checker;

/// <summary>Each anomaly of the checker on a hand-made history that has exactly it, and a clean history that has none.</summary>
public sealed class HistoryCheckerTests
{
    private const string P0 = "t-0";
    private const string P1 = "t-1";

    [Fact]
    public void ACleanHistory_HasNoAnomaly()
    {
        var history = new HistoryBuilder()
            .Sent("w1", P0, "w1-0", 0).Sent("w1", P0, "w1-1", 1).Sent("w2", P1, "w2-0", 0)
            .SendFailed("w2", P1, "w2-1").SendUnknown("w2", P1, "w2-2")
            .Sent("t1", P0, "t1-0", 2, txn: "t1.0").Txn("t1", "t1.0", OpType.Ok)
            .Sent("t1", P0, "t1-1", 3, txn: "t1.1").Txn("t1", "t1.1", OpType.Fail)
            .Polled("r1", P0, 0, "w1-0").Polled("r1", P0, 1, "w1-1").Polled("r1", P0, 2, "t1-0")
            .Polled("r1", P1, 0, "w2-0").Polled("r1", P1, 1, "w2-2")
            .Assigned("r1").Polled("r1", P0, 0, "w1-0").Ops;

        var result = HistoryChecker.Check(history);

        Assert.True(result.Valid, result.Describe());
        Assert.All(CheckResult.Anomalies, a => Assert.Equal(0, result[a]));
        Assert.Equal(4, result.AckedSends);
        Assert.Equal(5, result.DistinctValuesRead);
    }

    [Fact]
    public void AnAckedSendNeverPolled_WhileALaterOffsetWas_IsALostWrite()
    {
        var history = new HistoryBuilder()
            .Sent("w1", P0, "a", 0).Sent("w1", P0, "b", 1).Sent("w1", P0, "c", 2)
            .Polled("r1", P0, 0, "a").Polled("r1", P0, 2, "c").Ops;

        var result = HistoryChecker.Check(history);

        Assert.Equal(1, result["lost-write"]);
        Assert.Equal(0, result["unseen"]);
        Assert.Contains("b acked", Assert.Single(result.Examples["lost-write"]));
    }

    [Fact]
    public void AnAckedSendNeverPolled_AtTheEndOfTheLog_IsUnseen()
    {
        var history = new HistoryBuilder().Sent("w1", P0, "a", 0).Sent("w1", P0, "b", 1).Polled("r1", P0, 0, "a").Ops;

        var result = HistoryChecker.Check(history);

        Assert.Equal(1, result["unseen"]);
        Assert.Equal(0, result["lost-write"]);
    }

    [Fact]
    public void AnUnknownOrFailedSendNeverPolled_IsNoAnomaly()
    {
        var history = new HistoryBuilder().SendUnknown("w1", P0, "a").SendFailed("w1", P0, "b").Sent("w1", P0, "c", 0).Polled("r1", P0, 0, "c").Ops;

        Assert.True(HistoryChecker.Check(history).Valid);
    }

    [Fact]
    public void OneValueAtTwoOffsets_IsADuplicate()
    {
        var history = new HistoryBuilder().Sent("w1", P0, "a", 0).Polled("r1", P0, 0, "a").Polled("r1", P0, 1, "a").Ops;

        var result = HistoryChecker.Check(history);

        Assert.Equal(1, result["duplicate"]);
        Assert.Equal(0, result["inconsistent-offsets"]);
    }

    [Fact]
    public void OneOffsetWithTwoValues_IsInconsistent()
    {
        var history = new HistoryBuilder().Sent("w1", P0, "a", 0).Sent("w2", P0, "b", 0).Polled("r1", P0, 0, "b").Ops;

        var result = HistoryChecker.Check(history);

        Assert.Equal(1, result["inconsistent-offsets"]);
        Assert.Equal(1, result["unseen"]);
    }

    [Fact]
    public void AConsumerGoingBackWithoutAnAssignment_IsNonmonotonic_ButNotAfterOne()
    {
        var builder = new HistoryBuilder().Sent("w1", P0, "a", 0).Sent("w1", P0, "b", 1)
            .Polled("r1", P0, 0, "a").Polled("r1", P0, 1, "b").Polled("r1", P0, 0, "a");

        Assert.Equal(1, HistoryChecker.Check(builder.Ops)["nonmonotonic-poll"]);
        var reassigned = new HistoryBuilder().Sent("w1", P0, "a", 0).Sent("w1", P0, "b", 1)
            .Polled("r1", P0, 0, "a").Polled("r1", P0, 1, "b").Assigned("r1").Polled("r1", P0, 0, "a").Ops;
        Assert.True(HistoryChecker.Check(reassigned).Valid);
    }

    [Fact]
    public void AConsumerJumpingOverARecordSomeoneRead_IsAPollSkip_ButAGapNobodyReadIsNot()
    {
        var history = new HistoryBuilder().Sent("w1", P0, "a", 0).Sent("w1", P0, "b", 1).Sent("w1", P0, "c", 2)
            .Polled("r1", P0, 0, "a").Polled("r1", P0, 1, "b").Polled("r1", P0, 2, "c")
            .Polled("r2", P0, 0, "a").Polled("r2", P0, 2, "c").Ops;

        Assert.Equal(1, HistoryChecker.Check(history)["poll-skip"]);

        // Offsets 1 and 2 hold transaction markers nobody can read: jumping over them is fine.
        var markers = new HistoryBuilder().Sent("t1", P0, "a", 0, txn: "x").Txn("t1", "x", OpType.Ok).Sent("t1", P0, "b", 3, txn: "y").Txn("t1", "y", OpType.Ok)
            .Polled("r1", P0, 0, "a").Polled("r1", P0, 3, "b").Ops;
        Assert.True(HistoryChecker.Check(markers).Valid);
    }

    [Fact]
    public void ReadingAFailedSend_OrAnAbortedTransactionsRecord_IsG1a()
    {
        var history = new HistoryBuilder()
            .SendFailed("w1", P0, "a")
            .Sent("t1", P1, "b", 0, txn: "t1.0").Txn("t1", "t1.0", OpType.Fail)
            .Polled("r1", P0, 0, "a").Polled("r1", P1, 0, "b").Ops;

        var result = HistoryChecker.Check(history);

        Assert.Equal(2, result["G1a"]);
        Assert.Equal(0, result["unseen"]);
    }

    [Fact]
    public void ATransactionsAckedSends_CountOnlyOnceItCommits()
    {
        var open = new HistoryBuilder().Sent("t1", P0, "a", 0, txn: "t1.0").Ops;
        var committed = new HistoryBuilder().Sent("t1", P0, "a", 0, txn: "t1.0").Txn("t1", "t1.0", OpType.Ok).Ops;

        Assert.True(HistoryChecker.Check(open).Valid);
        Assert.Equal(1, HistoryChecker.Check(committed)["unseen"]);
    }

    [Fact]
    public void OneProducersSendsAcknowledgedOutOfOrder_AreANonmonotonicSend()
    {
        var history = new HistoryBuilder()
            .Sent("w1", P0, "a", 5).Sent("w1", P0, "b", 3).Sent("w2", P0, "c", 4)
            .Polled("r1", P0, 3, "b").Polled("r1", P0, 4, "c").Polled("r1", P0, 5, "a").Ops;

        var result = HistoryChecker.Check(history);

        Assert.Equal(1, result["nonmonotonic-send"]);
        Assert.Equal(1, result.Counts.Values.Sum());
    }

    [Fact]
    public void Unavailability_IsTheLongestGapBetweenAcknowledgedSends_WithinTheFaultWindow()
    {
        var history = new HistoryBuilder()
            .Sent("w1", P0, "a", 0).Sent("w1", P1, "x", 0)
            .Fault("kill broker 1")
            .After(100).Sent("w1", P0, "b", 1)
            .After(1000).Sent("w1", P0, "c", 2)
            .After(50).Fault("restart broker 1")
            .Polled("r1", P0, 0, "a").Polled("r1", P0, 1, "b").Polled("r1", P0, 2, "c").Polled("r1", P1, 0, "x").Ops;

        var result = HistoryChecker.Check(history);

        Assert.True(result.Valid, result.Describe());
        Assert.InRange(result.LongestUnavailability[P0].TotalMilliseconds, 1000, 1005);
        Assert.InRange(result.LongestUnavailability[P1].TotalMilliseconds, 1150, 1160);
    }

    [Fact]
    public void AHistory_SurvivesTheJsonLinesRoundTrip()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var recorder = new HistoryRecorder(path))
            {
                recorder.Record(new HistoryOp { Process = "w1", Type = OpType.Ok, Op = OpKind.Send, Partition = P0, Value = "a", Offset = 7, Txn = "t" });
                recorder.Record(new HistoryOp { Process = "nemesis", Type = OpType.Info, Op = OpKind.Fault, Value = "pause broker 2" });
                recorder.Snapshot();
            }

            var loaded = HistoryRecorder.Load(path);

            Assert.Equal(2, loaded.Count);
            Assert.Equal(OpKind.Send, loaded[0].Op);
            Assert.Equal(7, loaded[0].Offset);
            Assert.Equal("t", loaded[0].Txn);
            Assert.Contains("\"type\":\"info\"", File.ReadAllLines(path)[1]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
