namespace Wharf.LoadGen.Queue;

/// <summary>
/// One queueing system driven through its own client for the <c>queue</c> benchmark (point-to-point: each message goes
/// to exactly one consumer, which acknowledges it on its own). Per run the harness calls <see cref="CreateQueueAsync"/>,
/// then <see cref="ProduceAsync"/> (timed), then <see cref="ConnectConsumersAsync"/> and
/// <see cref="IQueueConsumers.ConsumeAsync"/> (timed), disposes the consumers, then calls
/// <see cref="LeftInQueueAsync"/> and <see cref="DeleteQueueAsync"/>. Every method throws when a message is refused or an operation fails, so a figure
/// is never reported for work that did not happen; each honours its cancellation token, which the harness fires at the
/// phase time-out or when consumption stalls.
/// <para>
/// To add a system: implement this, and register it in <see cref="QueueBenchmark"/>'s target list.
/// </para>
/// Thread-safety: one caller at a time; a driver runs its consumers on its own tasks inside
/// <see cref="IQueueConsumers.ConsumeAsync"/>.
/// </summary>
public interface IQueueBenchDriver : IAsyncDisposable
{
    /// <summary>False while a system can be produced to but not yet consumed from (its consume rows then read n/a).</summary>
    bool SupportsConsume { get; }

    /// <summary>A new, empty, durable queue named <paramref name="queue"/>.</summary>
    Task CreateQueueAsync(string queue, CancellationToken cancellationToken);

    /// <summary>
    /// Sends <paramref name="count"/> messages of <paramref name="size"/> bytes into <paramref name="queue"/>, message i
    /// stamped with sequence i and <paramref name="runTag"/> (<see cref="QueueMessage.Stamp"/>); returns when every one
    /// has been acknowledged by the broker as durable (the driver's durability says what that means), and throws if any
    /// was refused.
    /// </summary>
    Task ProduceAsync(string queue, long count, int size, long runTag, CancellationToken cancellationToken);

    /// <summary>
    /// Connects <paramref name="consumers"/> consumers to <paramref name="queue"/> — each its own connection or client, as
    /// separate worker processes would be — without starting delivery: connections, channels, sessions, whatever can be
    /// set up before the first message. Not timed. Whatever joining only happens on the first fetch or subscription
    /// (AMQP's basic.consume, a NATS pull, a share group's first poll) happens in <see cref="IQueueConsumers.ConsumeAsync"/>,
    /// inside the timed phase, alike for every system.
    /// </summary>
    Task<IQueueConsumers> ConnectConsumersAsync(string queue, int consumers, CancellationToken cancellationToken);

    /// <summary>Messages the broker still holds for <paramref name="queue"/> (ready or unacknowledged) after a consume
    /// phase; −1 when the system cannot tell. Non-zero after a complete phase means an acknowledgement was lost.</summary>
    Task<long> LeftInQueueAsync(string queue, CancellationToken cancellationToken);

    Task DeleteQueueAsync(string queue, CancellationToken cancellationToken);
}

/// <summary>
/// Consumers connected by <see cref="IQueueBenchDriver.ConnectConsumersAsync"/>. Disposing closes their connections
/// (not timed); anything still unacknowledged then goes back to the queue, where
/// <see cref="IQueueBenchDriver.LeftInQueueAsync"/> sees it.
/// Thread-safety: one caller; the consumers run on the driver's own tasks or callbacks.
/// </summary>
public interface IQueueConsumers : IAsyncDisposable
{
    /// <summary>
    /// Starts delivery to every consumer. Each reports every message it receives to
    /// <see cref="QueueTally.Record(int, ReadOnlySpan{byte})"/> with its own index (0 .. consumers − 1), then
    /// acknowledges that message individually (no cumulative or batched acknowledgement by the application). Returns
    /// after <see cref="QueueTally.Completion"/>, with every consumer stopped and its acknowledgements sent.
    /// </summary>
    Task ConsumeAsync(QueueTally tally, CancellationToken cancellationToken);
}
