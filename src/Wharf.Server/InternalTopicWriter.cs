using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Replication;
using Wharf.Storage;

namespace Wharf.Server;

/// <summary>
/// <see cref="IPartitionWriter"/> over the partitions of an internal topic (<c>__consumer_offsets</c>,
/// <c>__transaction_state</c>) this broker leads: appends as leader with <see cref="AppendOrigin.Coordinator"/> (the
/// log assigns the position synchronously inside <see cref="Partition.AppendAsLeaderAsync"/>, which keeps the
/// coordinator's order; producer sequences of transactional offset commits are not checked, only epochs) and
/// completes when the high watermark passes the batch; reads committed batches for replay.
/// <para>
/// Fencing: an append whose leader epoch is not the hosted partition's current one is refused with NOT_COORDINATOR
/// (a coordinator of an older leadership). Today this is a check before the append; once <see cref="Partition"/> has
/// leader transitions, the check belongs inside its append, atomically with them.
/// </para>
/// Thread-safety: stateless over thread-safe partitions.
/// </summary>
public sealed class InternalTopicWriter(ReplicaManager replicas, string topic) : IPartitionWriter
{
    private const int ReadChunkBytes = 1 << 20;

    /// <summary>How long a coordinator write waits for the in-sync replicas (Kafka's <c>offsets.commit.timeout.ms</c> default).</summary>
    private static readonly TimeSpan CommitTimeout = TimeSpan.FromSeconds(5);

    public Task AppendAsync(int partition, int leaderEpoch, ReadOnlyMemory<byte> batch)
    {
        var leader = replicas.GetPartition(new TopicPartition(topic, partition));
        if (leader is null)
        {
            return Task.FromException(new PartitionWriteException(ErrorCode.NotCoordinator, $"{topic}-{partition} is not led here."));
        }

        return leader.LeaderEpoch != leaderEpoch
            ? Task.FromException(new PartitionWriteException(ErrorCode.NotCoordinator, $"{topic}-{partition} is led at epoch {leader.LeaderEpoch}, not {leaderEpoch}."))
            : AppendAsync(leader, MemoryMarshal.AsMemory(batch));
    }

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(int partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var leader = replicas.GetPartition(new TopicPartition(topic, partition));
        if (leader is null)
        {
            yield break;
        }

        // Up to the log end, as Kafka's coordinator loader does: a new leader's high watermark covers its log only once
        // its followers have fetched it, and what it holds is what its term commits.
        var end = leader.LogEndOffset;
        var offset = leader.LogStartOffset;
        while (offset < end)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var read = leader.Read(new PartitionFetch(offset, ReadChunkBytes, Isolation: FetchIsolation.LogEnd, MaxOffset: end));
            if (read.Error == ErrorCode.OffsetOutOfRange && offset < read.LogStartOffset)
            {
                // Retention or DeleteRecords moved the log start past this offset meanwhile.
                offset = read.LogStartOffset;
                continue;
            }

            if (read.Error != ErrorCode.None)
            {
                throw new PartitionWriteException(read.Error == ErrorCode.NotLeaderOrFollower ? ErrorCode.NotCoordinator : ErrorCode.CoordinatorNotAvailable,
                    $"{topic}-{partition} cannot be read for replay: {read.Error}.");
            }

            if (read.Records.IsEmpty)
            {
                yield break;
            }

            var bytes = new byte[read.Records.Length];
            var copied = await read.Records.CopyToAsync(bytes, cancellationToken).ConfigureAwait(false);
            yield return bytes.AsMemory(0, copied);
            offset = read.Records.NextOffset;
        }
    }

    private static async Task AppendAsync(Partition leader, Memory<byte> batch)
    {
        Task<LogAppendInfo> append;
        try
        {
            append = leader.AppendAsLeaderAsync(batch, AppendOrigin.Coordinator, requiredAcks: -1, timeout: CommitTimeout);
        }
        catch (RecordTooLargeException e)
        {
            throw new PartitionWriteException(ErrorCode.InvalidCommitOffsetSize, e.Message, e);
        }
        catch (ProducerStateException e)
        {
            throw new PartitionWriteException(e.ErrorCode, e.Message, e);
        }

        try
        {
            await append.ConfigureAwait(false);
        }
        catch (RecordTooLargeException e)
        {
            throw new PartitionWriteException(ErrorCode.InvalidCommitOffsetSize, e.Message, e);
        }
        catch (ProducerStateException e)
        {
            throw new PartitionWriteException(e.ErrorCode, e.Message, e);
        }
        catch (LogException e) when (e.ErrorCode == ErrorCode.NotLeaderOrFollower)
        {
            throw new PartitionWriteException(ErrorCode.NotCoordinator, e.Message, e);
        }
        catch (LogException e) when (e.ErrorCode is ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend or ErrorCode.RequestTimedOut)
        {
            // As Kafka's coordinators answer: the write did not reach enough replicas; the client retries.
            throw new PartitionWriteException(ErrorCode.CoordinatorNotAvailable, e.Message, e);
        }
        catch (LogException e)
        {
            throw new PartitionWriteException(ErrorCode.CoordinatorNotAvailable, e.Message, e);
        }
    }
}
