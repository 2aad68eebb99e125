namespace Wharf.Metadata.Tests;

/// <summary>The embedded metadata log, including the recovery family: torn tails, garbage, bit flips, snapshots.</summary>
public sealed class EmbeddedMetadataLogTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string LogPath => Path.Combine(_dir.Path, EmbeddedMetadataLog.LogFileName);

    [Fact]
    public async Task Append_ReturnsTheLastOffsetOfTheBatch_AndOffsetsAreContiguous()
    {
        await using var log = EmbeddedMetadataLog.Open(_dir.Path, nodeId: 1);

        Assert.Equal(-1, log.CommittedOffset);
        Assert.Equal(1, await log.AppendAsync([Topic("a"), Topic("b")], 1, default));
        Assert.Equal(2, await log.AppendAsync([Topic("c")], 1, default));
        Assert.Equal(2, log.CommittedOffset);
        Assert.Equal(new MetadataLeadership(1, 1), log.Leadership);
    }

    [Fact]
    public async Task Reopen_AfterCleanClose_ReplaysEveryBatch()
    {
        await using (var log = EmbeddedMetadataLog.Open(_dir.Path, 1))
        {
            await log.AppendAsync([Topic("a"), Topic("b")], 1, default);
            await log.AppendAsync([Topic("c")], 1, default);
        }

        await using var reopened = EmbeddedMetadataLog.Open(_dir.Path, 1);
        var batches = await ReadAll(reopened);

        Assert.Equal(2, reopened.CommittedOffset);
        Assert.Equal(0, reopened.TruncatedBytes);
        Assert.Equal([0L, 2L], batches.Select(b => b.BaseOffset));
        Assert.Equal(["a", "b", "c"], batches.SelectMany(b => b.Records).Cast<TopicRecord>().Select(t => t.Name));
    }

    [Fact]
    public async Task ReadCommitted_FromAnOffset_SkipsBatchesEndingAtOrBeforeIt()
    {
        await using var log = EmbeddedMetadataLog.Open(_dir.Path, 1);
        await log.AppendAsync([Topic("a"), Topic("b")], 1, default);
        await log.AppendAsync([Topic("c")], 1, default);

        var batches = new List<MetadataBatch>();
        await foreach (var batch in log.ReadCommittedAsync(1, default))
        {
            batches.Add(batch);
        }

        Assert.Equal(2L, Assert.Single(batches).BaseOffset);
    }

    [Fact]
    public async Task Append_WithAStaleControllerEpoch_IsFenced()
    {
        await using var log = EmbeddedMetadataLog.Open(_dir.Path, 1);

        await Assert.ThrowsAsync<NotControllerException>(async () => await log.AppendAsync([Topic("a")], 0, default));
        Assert.Equal(-1, log.CommittedOffset);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(20)]
    public async Task Recover_AfterTornLastEntry_TruncatesToTheLastWholeEntry(int bytesCut)
    {
        var goodLength = await WriteTwoBatchesAndReturnTheFirstsLength();
        var fullLength = new FileInfo(LogPath).Length;
        Truncate(LogPath, fullLength - bytesCut);

        await using var log = EmbeddedMetadataLog.Open(_dir.Path, 1);

        Assert.Equal(0, log.CommittedOffset);
        Assert.Equal(fullLength - bytesCut - goodLength, log.TruncatedBytes);
        Assert.Equal(goodLength, new FileInfo(LogPath).Length);
        Assert.Equal(1, await log.AppendAsync([Topic("after")], 1, default));
    }

    [Fact]
    public async Task Recover_AfterGarbageTail_TruncatesTheGarbage()
    {
        var goodLength = await WriteTwoBatchesAndReturnTheFirstsLength();
        var fullLength = new FileInfo(LogPath).Length;
        await using (var file = new FileStream(LogPath, FileMode.Append))
        {
            file.Write(Enumerable.Range(0, 100).Select(i => (byte)(i * 37)).ToArray());
        }

        await using var log = EmbeddedMetadataLog.Open(_dir.Path, 1);

        Assert.Equal(2, log.CommittedOffset);
        Assert.Equal(fullLength, new FileInfo(LogPath).Length);
        Assert.True(goodLength < fullLength);
    }

    [Fact]
    public async Task Recover_AfterZeroedTail_TruncatesTheZeros()
    {
        await WriteTwoBatchesAndReturnTheFirstsLength();
        var fullLength = new FileInfo(LogPath).Length;
        await using (var file = new FileStream(LogPath, FileMode.Append))
        {
            file.Write(new byte[4096]);
        }

        await using var log = EmbeddedMetadataLog.Open(_dir.Path, 1);

        Assert.Equal(2, log.CommittedOffset);
        Assert.Equal(fullLength, new FileInfo(LogPath).Length);
    }

    [Fact]
    public async Task Recover_AfterABitFlipInTheLastEntry_DropsThatEntry()
    {
        var goodLength = await WriteTwoBatchesAndReturnTheFirstsLength();
        var bytes = File.ReadAllBytes(LogPath);
        bytes[^3] ^= 0x10;
        File.WriteAllBytes(LogPath, bytes);

        await using var log = EmbeddedMetadataLog.Open(_dir.Path, 1);

        Assert.Equal(0, log.CommittedOffset);
        Assert.Equal(goodLength, new FileInfo(LogPath).Length);
    }

    [Fact]
    public void Recover_WithAValidChecksumButUndecodableRecord_RefusesToOpen()
    {
        var entry = EmbeddedMetadataLog.EncodeEntry(0, 1, [Topic("a")]);
        entry[8 + 16 + 4] = 99; // the record's type byte
        var crc = Common.Crc32C.Compute(entry.AsSpan(8));
        BitConverter.TryWriteBytes(entry.AsSpan(4), crc);
        File.WriteAllBytes(LogPath, entry);

        Assert.Throws<InvalidDataException>(() => EmbeddedMetadataLog.Open(_dir.Path, 1));
    }

    [Fact]
    public async Task Snapshot_CompactsTheLog_AndReopenStartsFromIt()
    {
        await using (var log = EmbeddedMetadataLog.Open(_dir.Path, 1))
        {
            await log.AppendAsync([Topic("a"), Topic("b")], 1, default);
            await log.WriteSnapshotAsync(new MetadataSnapshot(1, [Topic("snap")]), default);
            Assert.Equal(0, log.LogFileLength);
            await log.AppendAsync([Topic("c")], 1, default);
        }

        await using var reopened = EmbeddedMetadataLog.Open(_dir.Path, 1);

        Assert.Equal(1, reopened.LatestSnapshot!.Offset);
        Assert.Equal([Topic("snap")], reopened.LatestSnapshot.Records);
        Assert.Equal(2, reopened.CommittedOffset);
        var batch = Assert.Single(await ReadAll(reopened));
        Assert.Equal(2, batch.BaseOffset);
    }

    [Fact]
    public async Task Snapshot_OfAnImageWithGroupConfigs_RebuildsThemOnReopen()
    {
        var image = MetadataImage.Empty("cluster", 1, 1)
            .Apply(new ConfigRecord(ConfigResourceType.Group, "workers", "share.record.lock.duration.ms", "20000"))
            .Apply(new ConfigRecord(ConfigResourceType.Group, "workers", "share.isolation.level", "read_committed"))
            .WithOffset(1);
        await using (var log = EmbeddedMetadataLog.Open(_dir.Path, 1))
        {
            await log.AppendAsync([Topic("a"), Topic("b")], 1, default);
            await log.WriteSnapshotAsync(new MetadataSnapshot(image.Offset, image.ToRecords()), default);
        }

        await using var reopened = EmbeddedMetadataLog.Open(_dir.Path, 1);
        var rebuilt = reopened.LatestSnapshot!.Records.Aggregate(MetadataImage.Empty("cluster", 1, 1), (i, r) => i.Apply(r));

        Assert.Equal(image.GetGroupConfigs("workers"), rebuilt.GetGroupConfigs("workers"));
        Assert.Equal("20000", rebuilt.GetGroupConfigs("workers")["share.record.lock.duration.ms"]);
    }

    [Fact]
    public async Task Snapshot_ReplacesOlderSnapshots()
    {
        await using var log = EmbeddedMetadataLog.Open(_dir.Path, 1);
        await log.AppendAsync([Topic("a")], 1, default);
        await log.WriteSnapshotAsync(new MetadataSnapshot(0, [Topic("one")]), default);
        await log.AppendAsync([Topic("b")], 1, default);
        await log.WriteSnapshotAsync(new MetadataSnapshot(1, [Topic("two")]), default);

        Assert.Single(Directory.GetFiles(_dir.Path, "*.snapshot"));
    }

    [Fact]
    public async Task Recover_AfterCrashBetweenSnapshotAndCompaction_SkipsEntriesTheSnapshotCovers()
    {
        await using (var log = EmbeddedMetadataLog.Open(_dir.Path, 1))
        {
            await log.AppendAsync([Topic("a"), Topic("b")], 1, default);
            await log.AppendAsync([Topic("c")], 1, default);
        }

        var fullLog = File.ReadAllBytes(LogPath);
        await using (var log = EmbeddedMetadataLog.Open(_dir.Path, 1))
        {
            await log.WriteSnapshotAsync(new MetadataSnapshot(1, [Topic("snap")]), default);
        }

        File.WriteAllBytes(LogPath, fullLog); // as if the compaction had not happened

        await using var reopened = EmbeddedMetadataLog.Open(_dir.Path, 1);

        Assert.Equal(2, reopened.CommittedOffset);
        Assert.Equal([2L], (await ReadAll(reopened)).Select(b => b.BaseOffset));
    }

    [Fact]
    public async Task Recover_WithADamagedSnapshot_IgnoresIt()
    {
        await using (var log = EmbeddedMetadataLog.Open(_dir.Path, 1))
        {
            await log.AppendAsync([Topic("a")], 1, default);
        }

        File.WriteAllBytes(Path.Combine(_dir.Path, "snapshot-00000000000000000000.snapshot"), [1, 2, 3]);

        await using var reopened = EmbeddedMetadataLog.Open(_dir.Path, 1);

        Assert.Null(reopened.LatestSnapshot);
        Assert.Equal(0, reopened.CommittedOffset);
    }

    [Fact]
    public void Recover_WhenTheLogDoesNotContinueTheSnapshot_RefusesToOpen()
    {
        File.WriteAllBytes(LogPath, EmbeddedMetadataLog.EncodeEntry(5, 1, [Topic("a")]));

        Assert.Throws<InvalidDataException>(() => EmbeddedMetadataLog.Open(_dir.Path, 1));
    }

    private async Task<long> WriteTwoBatchesAndReturnTheFirstsLength()
    {
        await using var log = EmbeddedMetadataLog.Open(_dir.Path, 1);
        await log.AppendAsync([Topic("first")], 1, default);
        var length = log.LogFileLength;
        await log.AppendAsync([Topic("second"), new ConfigRecord(ConfigResourceType.Topic, "second", "retention.ms", "1000")], 1, default);
        return length;
    }

    private static async Task<List<MetadataBatch>> ReadAll(IMetadataLog log)
    {
        var batches = new List<MetadataBatch>();
        await foreach (var batch in log.ReadCommittedAsync(log.LatestSnapshot?.Offset ?? -1, default))
        {
            batches.Add(batch);
        }

        return batches;
    }

    private static void Truncate(string path, long length)
    {
        using var file = new FileStream(path, FileMode.Open);
        file.SetLength(length);
    }

    private static TopicRecord Topic(string name) => new(name, new Guid(name.GetHashCode(), 0, 0, new byte[8]));
}
