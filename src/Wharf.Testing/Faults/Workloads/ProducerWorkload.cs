using System.Globalization;
using Confluent.Kafka;
using Wharf.Testing.Faults.History;

namespace Wharf.Testing.Faults.Workloads;

/// <summary>
/// One writer: an idempotent producer (acks=all) sending unique values <c>{process}-{sequence}</c> round-robin over
/// the topic's partitions at a steady rate with a bounded number in flight, recording each send's invoke and its
/// outcome. A fatal producer error (e.g. a fenced epoch) starts a new producer as a new process (<c>w1.2</c>), as Jepsen
/// does, so one process's sends stay one ordered stream. On stop it waits for outstanding deliveries.
/// Thread-safety: one task runs it; delivery reports arrive on librdkafka's thread and only record.
/// </summary>
public sealed class ProducerWorkload(WorkloadContext context, string name, TimeSpan interval, int maxInFlight = 20)
{
    public async Task RunAsync(CancellationToken stop)
    {
        var incarnation = 1;
        var sequence = 0L;
        while (!stop.IsCancellationRequested)
        {
            var process = incarnation == 1 ? name : $"{name}.{incarnation}";
            var fatal = 0;
            using var inFlight = new SemaphoreSlim(maxInFlight);
            using (var producer = new ProducerBuilder<string, string>(context.ProducerConfig())
                .SetLogHandler(WorkloadContext.Quiet)
                .SetErrorHandler((_, e) =>
                {
                    if (e.IsFatal)
                    {
                        Volatile.Write(ref fatal, 1);
                    }
                })
                .Build())
            {
                while (!stop.IsCancellationRequested && Volatile.Read(ref fatal) == 0)
                {
                    try
                    {
                        await inFlight.WaitAsync(stop).ConfigureAwait(false);
                        await Task.Delay(interval, stop).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }

                    var partition = (int)(sequence % context.Partitions);
                    var value = $"{process}-{sequence.ToString(CultureInfo.InvariantCulture)}";
                    sequence++;
                    context.Record(process, OpType.Invoke, OpKind.Send, WorkloadContext.PartitionName(context.Topic, partition), value);
                    try
                    {
                        producer.Produce(new TopicPartition(context.Topic, partition), new Message<string, string> { Key = value, Value = value }, report =>
                        {
                            context.RecordDelivery(process, report);
                            inFlight.Release();
                        });
                    }
                    catch (Exception e) when (e is KafkaException or InvalidOperationException)
                    {
                        // Refused before it was queued: it never left the client.
                        context.Record(process, OpType.Fail, OpKind.Send, WorkloadContext.PartitionName(context.Topic, partition), value, error: e.Message);
                        inFlight.Release();
                    }
                }

                producer.Flush(context.MessageTimeout);
            }

            incarnation++;
        }
    }
}
