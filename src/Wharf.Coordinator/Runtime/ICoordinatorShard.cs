namespace Wharf.Coordinator.Runtime;

/// <summary>
/// The state machine of one coordinator partition (Kafka's <c>CoordinatorShard</c>): the groups of one
/// <c>__consumer_offsets</c> partition, or the transactional ids of one <c>__transaction_state</c> partition. A fresh
/// shard is built by <see cref="CoordinatorRuntime{TShard}"/> each time this broker is elected leader of the partition;
/// it is dropped when the broker resigns, so a shard never outlives one leadership.
/// <para>
/// Contract: every member is called on the partition's event loop (<see cref="CoordinatorContext"/>), never
/// concurrently, and must not block or await. <see cref="Replay"/> is the <b>one</b> place committed records change the
/// shard's state: while loading, for each record of the partition's log in offset order; once active, for the records
/// of each of the shard's own writes after they are durable (unless the write opted out with
/// <see cref="CoordinatorResult{TResponse}.ReplayRecords"/>).
/// </para>
/// </summary>
public interface ICoordinatorShard
{
    /// <summary>Applies one committed record. Throws <see cref="FormatException"/> for a record it cannot read (skipped while loading).</summary>
    void Replay(in CoordinatorRecord record);

    /// <summary>The whole log has been replayed and the shard is active: arm timers, resume interrupted work.</summary>
    void OnLoaded();

    /// <summary>
    /// Leadership is gone: answer parked requests with <see cref="Common.ErrorCode.NotCoordinator"/>. The runtime has
    /// already cancelled the shard's timers and failed its pending writes; the shard is garbage afterwards.
    /// </summary>
    void OnUnloaded();
}
