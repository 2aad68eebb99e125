using Microsoft.Extensions.Time.Testing;
using Wharf.Common;
using Wharf.Metadata;
using Wharf.Replication;
using Wharf.Storage;
using Wharf.TestKit;

namespace Wharf.Simulation.Tests;

/// <summary>
/// One broker of the simulated cluster, in its current incarnation (<see cref="Generation"/> counts restarts): a real
/// <see cref="LogManager"/> over its own data directory on a <see cref="SimulatedDisk"/>, a real
/// <see cref="ReplicaManager"/> whose ISR proposals go through the simulated network
/// (<see cref="SimAlterPartitionSender"/>), and the metadata image it has applied so far — which lags the controller's
/// until the simulation delivers the next batches.
/// <para>
/// Crash points: a crash keeps what the disk made durable up to some cut. A cut is valid only if the node said
/// nothing after it that relied on its disk — a follower's fetch (its fetch offset promises what it holds durably), a
/// leader's fetch answer or consumer read (its high watermark counts its own durable end) or acknowledgement. So the
/// node remembers the disk's event count at the end of every step since the last step in which it said such a thing
/// (<see cref="CrashCuts"/>); a crash picks one of them. What the flusher fsync'd after the chosen cut is lost, as if
/// that fsync had not happened yet.
/// </para>
/// Thread-safety: driven by the simulation's one thread; the log flusher's thread only completes its tasks.
/// </summary>
internal sealed class SimNode : IDisposable
{
    private SimNode(int id, int generation, Guid incarnation, string directory, SimulatedDisk disk, LogManager logs, ReplicaManager replicas, SimAlterPartitionSender sender, MetadataImage image)
    {
        Id = id;
        Generation = generation;
        Incarnation = incarnation;
        Directory = directory;
        Disk = disk;
        Logs = logs;
        Replicas = replicas;
        Sender = sender;
        Image = image;
        CrashCuts = [disk.Events];
    }

    public int Id { get; }

    /// <summary>0 for the first process, +1 per restart; messages name the generation they belong to.</summary>
    public int Generation { get; }

    /// <summary>This process's registration id (a restart registers a new one).</summary>
    public Guid Incarnation { get; }

    public string Directory { get; }

    public SimulatedDisk Disk { get; }

    public LogManager Logs { get; }

    public ReplicaManager Replicas { get; }

    public SimAlterPartitionSender Sender { get; }

    /// <summary>The image this node has applied (its view of the cluster).</summary>
    public MetadataImage Image { get; set; }

    /// <summary>How many committed metadata batches <see cref="Image"/> holds.</summary>
    public int AppliedBatches { get; set; }

    /// <summary>Takes no steps: no fetches, no metadata, its messages wait (SIGSTOP).</summary>
    public bool Paused { get; set; }

    /// <summary>Cut off from the other nodes and the controller: its fetches and proposals are lost.</summary>
    public bool Isolated { get; set; }

    /// <summary>Must register (again) before it may lead: just started, or noticed its session was lost.</summary>
    public bool NeedsRegistration { get; set; } = true;

    /// <summary>Registered: leads again once its image has reached this offset and records it live.</summary>
    public long? ResumeAtOffset { get; set; }

    /// <summary>Disk event counts at which this process may crash (see the class remarks); the first is the oldest valid one.</summary>
    public List<long> CrashCuts { get; }

    /// <summary>Partitions with a fetch out (request served, answer not yet applied).</summary>
    public HashSet<int> FetchesInFlight { get; } = [];

    /// <summary>Follower appends not yet durable (with the leader's high watermark still to take).</summary>
    public List<Task> PendingFollowerAppends { get; } = [];

    /// <summary>True when this node said something in the current step that relied on its disk.</summary>
    public bool SpokeFromDisk { get; set; }

    public bool CanAct => !Paused;


    public Partition? Partition(int partition) => Replicas.GetPartition(new TopicPartition(ClusterSimulation.Topic, partition));

    /// <summary>
    /// Starts a process of node <paramref name="id"/> over <paramref name="directory"/> (which holds only durable state):
    /// everything in it is recorded as durable on a fresh simulated disk, the logs are opened (recovering them), and
    /// leadership is suspended until the node is registered, as a cluster broker starts.
    /// </summary>
    public static SimNode Start(int id, int generation, Guid incarnation, string directory, FakeTimeProvider time, LogConfig config, TimeSpan replicaLagTimeMax, string clusterId, int controllerId)
    {
        var disk = new SimulatedDisk(directory);
        MarkDurable(disk, directory);
        var logs = LogManager.Open(new LogManagerOptions
        {
            DataDirectory = directory,
            DefaultConfig = config,
            TopicConfig = _ => config,
            Time = time,
            Disk = disk,
            RecoveryThreads = 1,
            EnableBackgroundTasks = false,
        });
        var sender = new SimAlterPartitionSender(id, generation);
        var replicas = new ReplicaManager(logs, time, options: new ReplicaManagerOptions { AlterPartition = sender, ReplicaLagTimeMax = replicaLagTimeMax });
        replicas.SuspendLeadership("not registered yet");
        return new SimNode(id, generation, incarnation, directory, disk, logs, replicas, sender, MetadataImage.Empty(clusterId, id, controllerId));
    }

    /// <summary>Ends this process as a power cut would: the logs are closed without trusting anything they flush now.</summary>
    public void Dispose()
    {
        Replicas.Dispose();
        try
        {
            Logs.Dispose();
        }
#pragma warning disable CA1031 // The process is gone; whatever its clean stop does is never read.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>At the end of a step: remember the disk's position as a crash point (only the newest if the node spoke from disk).</summary>
    public void EndStep()
    {
        if (SpokeFromDisk)
        {
            CrashCuts.Clear();
            SpokeFromDisk = false;
        }

        if (CrashCuts.Count == 0 || CrashCuts[^1] != Disk.Events)
        {
            CrashCuts.Add(Disk.Events);
        }
    }

    private static void MarkDurable(SimulatedDisk disk, string directory)
    {
        foreach (var child in System.IO.Directory.EnumerateDirectories(directory))
        {
            MarkDurable(disk, child);
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(directory))
        {
            using var handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read);
            disk.Fsync(handle, file);
        }

        disk.FsyncDirectory(directory);
    }
}
