using System.Collections.Frozen;
using System.Globalization;

namespace Wharf.Configuration;

/// <summary>
/// Every config key Wharf understands, by Kafka name: broker keys (properties file, environment, <c>--set</c>),
/// topic keys (CreateTopics / AlterConfigs), group keys (AlterConfigs on a GROUP resource), each topic and group key's
/// broker synonym, and the Kafka keys we recognise but
/// do not support yet (ignored with a warning). <c>docs/configuration.md</c> is rendered from this catalogue
/// (<see cref="ConfigDocumentation"/>). Thread-safety: immutable after the type initialiser.
/// </summary>
public static class ConfigCatalogue
{
    private const long Second = 1000;
    private const long Minute = 60 * Second;
    private const long Hour = 60 * Minute;
    private const long Day = 24 * Hour;

    private static readonly ConfigDefinition[] BrokerList =
    [
        // Node and network.
        Define("node.id", ConfigType.Int, "1", ConfigValidator.AtLeast(0), ConfigImportance.High,
            "This node's id, unique within the cluster.", new ConfigFallback("broker.id")),
        Define("broker.id", ConfigType.Int, null, ConfigValidator.AtLeast(0), ConfigImportance.Low,
            "Older name of node.id, used when node.id is not set."),
        Define("cluster.id", ConfigType.String, null, ClusterIdValidator(), ConfigImportance.Medium,
            "Cluster id this node must belong to; unset means the one in meta.properties, created on first start."),
        Define("listeners", ConfigType.List, "PLAINTEXT://127.0.0.1:9092", ListenerValidator(allowEmpty: false), ConfigImportance.High,
            "Kafka protocol listeners, NAME://host:port; an empty host binds every interface, port 0 a free port."),
        Define("advertised.listeners", ConfigType.List, null, ListenerValidator(allowEmpty: true), ConfigImportance.High,
            "Addresses handed to clients in Metadata responses; unset means the same as listeners."),
        Define("http.listeners", ConfigType.List, "http://127.0.0.1:9644", HttpListenerValidator(), ConfigImportance.Medium,
            "Wharf: the HTTP listener for the web console (/), the JSON admin API (/api/v1), /metrics (Prometheus) and /health/live, /health/ready, http://host:port; empty turns it off (and metrics recording with it), port 0 binds a free port."),
        Define("http.allowed.hosts", ConfigType.List, "", null, ConfigImportance.Low,
            "Wharf: host names the web console and the admin API answer to, besides IP addresses, localhost and the listeners' own host names; a request naming another Host gets 403, so a web page that rebinds its DNS name to this port cannot drive the API from a browser. /metrics and /health/* answer any Host. * allows every host."),
        Define("broker.rack", ConfigType.String, null, null, ConfigImportance.Low,
            "Rack (or zone) of this node, used to spread replicas."),
        Define("etcd.connect", ConfigType.String, null, EtcdConnectValidator(), ConfigImportance.High,
            "etcd endpoints of a cluster, host:port[,host:port...][/prefix]; unset runs a single node on its embedded metadata log."),
        Define("broker.session.timeout.ms", ConfigType.Int, "9000", ConfigValidator.AtLeast(1000), ConfigImportance.Medium,
            "A broker that has not renewed its etcd session for this long is fenced; it stops leading until it registers again."),
        Define("broker.heartbeat.interval.ms", ConfigType.Int, "2000", ConfigValidator.AtLeast(100), ConfigImportance.Medium,
            "How often a broker renews its etcd session."),
        Define("controller.session.timeout.ms", ConfigType.Int, "2000", ConfigValidator.AtLeast(1000), ConfigImportance.Medium,
            "TTL of the etcd lease behind a broker's controller candidacy: a controller that dies is replaced about this long after its last renewal (etcd's minimum, 2 s by default, applies)."),
        Define("auto.leader.rebalance.enable", ConfigType.Boolean, "true", null, ConfigImportance.Medium,
            "Move a partition's leadership back to its preferred replica when that broker returns."),
        Define("socket.request.max.bytes", ConfigType.Int, "104857600", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "Largest request frame accepted; bigger frames close the connection."),
        Define("connections.max.idle.ms", ConfigType.Long, "600000", ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "Idle connections are closed after this long."),
        Define("fetch.max.bytes", ConfigType.Int, "57671680", ConfigValidator.AtLeast(1024), ConfigImportance.Medium,
            "Upper bound on the bytes one Fetch response carries."),

        // Storage.
        Define("log.dirs", ConfigType.List, "./wharf-data", NonEmptyList(), ConfigImportance.High,
            "Data directories; the first also holds meta.properties and the metadata log.", new ConfigFallback("log.dir")),
        Define("log.dir", ConfigType.List, null, null, ConfigImportance.Low,
            "Older single-directory form of log.dirs, used when log.dirs is not set."),
        Define("log.flush.mode", ConfigType.String, "ack", ConfigValidator.OneOf("ack", "interval"), ConfigImportance.High,
            "Wharf: 'ack' answers a produce only after its bytes are fsync'd (group commit); 'interval' fsyncs in the background like Kafka."),
        Define("log.flush.interval.ms", ConfigType.Long, "1000", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Background fsync period in interval mode."),
        Define("log.retention.ms", ConfigType.Long, (14 * Day).ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(-1), ConfigImportance.High,
            "Delete closed segments whose newest record is older than this; -1 keeps data forever.",
            new ConfigFallback("log.retention.minutes", Minute), new ConfigFallback("log.retention.hours", Hour)),
        Define("log.retention.minutes", ConfigType.Int, null, ConfigValidator.AtLeast(-1), ConfigImportance.Low,
            "log.retention.ms in minutes; used when log.retention.ms is not set."),
        Define("log.retention.hours", ConfigType.Int, "336", ConfigValidator.AtLeast(-1), ConfigImportance.Low,
            "log.retention.ms in hours; used when neither log.retention.ms nor log.retention.minutes is set."),
        Define("log.retention.bytes", ConfigType.Long, "-1", ConfigValidator.AtLeast(-1), ConfigImportance.High,
            "Delete the oldest segments while a partition is larger than this; -1 means no size limit."),
        Define("log.retention.check.interval.ms", ConfigType.Long, (5 * Minute).ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "How often retention looks for segments to delete."),
        Define("log.segment.bytes", ConfigType.Int, (1 << 30).ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(56), ConfigImportance.High,
            "Roll to a new segment file when the active one would grow past this."),
        Define("log.roll.ms", ConfigType.Long, (7 * Day).ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Roll to a new segment once the active one's first record is this old.", new ConfigFallback("log.roll.hours", Hour)),
        Define("log.roll.hours", ConfigType.Int, "168", ConfigValidator.AtLeast(1), ConfigImportance.Low,
            "log.roll.ms in hours; used when log.roll.ms is not set."),
        Define("log.roll.jitter.ms", ConfigType.Long, "0", ConfigValidator.AtLeast(0), ConfigImportance.Low,
            "Largest amount subtracted from log.roll.ms, different for each segment, so partitions do not roll together.", new ConfigFallback("log.roll.jitter.hours", Hour)),
        Define("log.roll.jitter.hours", ConfigType.Int, "0", ConfigValidator.AtLeast(0), ConfigImportance.Low,
            "log.roll.jitter.ms in hours; used when log.roll.jitter.ms is not set."),
        Define("log.index.interval.bytes", ConfigType.Int, "4096", ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "Bytes of log between two entries of the sparse offset index."),
        Define("log.index.size.max.bytes", ConfigType.Int, "10485760", ConfigValidator.AtLeast(4), ConfigImportance.Medium,
            "Largest offset or time index file; a full index rolls the segment."),
        Define("log.segment.delete.delay.ms", ConfigType.Long, "60000", ConfigValidator.AtLeast(0), ConfigImportance.Low,
            "How long a deleted segment's files linger (renamed .deleted) before removal."),
        Define("log.cleanup.policy", ConfigType.List, "delete", ConfigValidator.ListOf("delete", "compact"), ConfigImportance.Medium,
            "What happens to old data: delete by retention, compact to the newest record per key, or both."),
        Define("log.cleaner.enable", ConfigType.Boolean, "true", null, ConfigImportance.Medium,
            "Run log compaction for topics whose cleanup.policy includes compact."),
        Define("log.cleaner.delete.retention.ms", ConfigType.Long, Day.ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "How long compaction keeps tombstones so consumers can see deletes."),
        Define("log.cleaner.min.compaction.lag.ms", ConfigType.Long, "0", ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "A record stays uncompacted for at least this long."),
        Define("log.cleaner.backoff.ms", ConfigType.Long, "15000", ConfigValidator.AtLeast(0), ConfigImportance.Low,
            "Pause between compaction passes when there is nothing to clean."),
        Define("log.message.timestamp.type", ConfigType.String, "CreateTime", ConfigValidator.OneOf("CreateTime", "LogAppendTime"), ConfigImportance.Medium,
            "Keep the producer's timestamps (CreateTime) or stamp the broker's time (LogAppendTime)."),
        Define("log.message.timestamp.before.max.ms", ConfigType.Long, long.MaxValue.ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "Reject CreateTime records whose timestamp is further than this in the past."),
        Define("log.message.timestamp.after.max.ms", ConfigType.Long, long.MaxValue.ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "Reject CreateTime records whose timestamp is further than this in the future."),
        Define("message.max.bytes", ConfigType.Int, "1048588", ConfigValidator.AtLeast(0), ConfigImportance.High,
            "Largest record batch accepted, after compression."),
        Define("compression.type", ConfigType.String, "producer", ConfigValidator.OneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"), ConfigImportance.High,
            "Codec batches are stored with: 'producer' keeps each batch as the producer sent it; a codec (or 'uncompressed') recompresses every other batch on append."),

        // Topics and replication.
        Define("num.partitions", ConfigType.Int, "1", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Partitions of a topic created without a count (auto-created, or -1 in CreateTopics)."),
        Define("default.replication.factor", ConfigType.Int, "3", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Replicas of a topic created without a replication factor. Unset: 3, capped at the live brokers (1 on a single node); set explicitly, more than the live brokers is INVALID_REPLICATION_FACTOR."),
        Define("auto.create.topics.enable", ConfigType.Boolean, "true", null, ConfigImportance.High,
            "Create a topic when a client asks for its metadata or produces to it."),
        Define("delete.topic.enable", ConfigType.Boolean, "true", null, ConfigImportance.High,
            "Allow DeleteTopics; false rejects every delete."),
        Define("min.insync.replicas", ConfigType.Int, "1", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "With acks=all, a write needs at least this many in-sync replicas."),
        Define("unclean.leader.election.enable", ConfigType.Boolean, "false", null, ConfigImportance.High,
            "When no in-sync replica of a partition is live, make a live replica outside the ISR its leader (available again, but records acknowledged by the lost ISR may be gone); false leaves the partition offline until an in-sync replica returns."),

        // Replication between brokers.
        Define("replica.lag.time.max.ms", ConfigType.Long, "30000", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "A follower that has not caught up with its leader's log end for this long leaves the ISR."),
        Define("replica.fetch.wait.max.ms", ConfigType.Int, "500", ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "How long a follower's fetch waits at the leader for new data."),
        Define("replica.fetch.min.bytes", ConfigType.Int, "65536", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "A follower's fetch waits until the leader has this many bytes for it, or replica.fetch.linger.ms after the first new byte, or replica.fetch.wait.max.ms with none (Kafka's default is 1: a round per produce)."),
        Define("replica.fetch.linger.ms", ConfigType.Int, "1", ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "Once a follower's fetch has some data but less than replica.fetch.min.bytes, the leader answers within this long (Wharf's; 0 answers at once)."),
        Define("replica.fetch.max.bytes", ConfigType.Int, "1048576", ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "Bytes a follower fetches per partition (a first batch larger than this still comes whole)."),
        Define("replica.fetch.response.max.bytes", ConfigType.Int, "10485760", ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "Bytes a follower's fetch answer holds at most."),
        Define("replica.fetch.backoff.ms", ConfigType.Int, "1000", ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "How long a follower waits after its fetch failed before it tries again."),
        Define("replica.socket.timeout.ms", ConfigType.Int, "30000", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "How long a follower waits for its leader's answer before it reconnects."),
        Define("num.replica.fetchers", ConfigType.Int, "1", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Fetch loops per leader broker; a leader's partitions are spread over them."),

        // Group coordinator.
        Define("offsets.topic.num.partitions", ConfigType.Int, "50", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "Partitions of __consumer_offsets; fixed once the topic exists."),
        Define("offsets.topic.replication.factor", ConfigType.Int, "3", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "Replicas of __consumer_offsets. Unset: 3, capped at the live brokers when it is created (1 on a single node); set explicitly, FindCoordinator answers COORDINATOR_NOT_AVAILABLE until that many brokers are live."),
        Define("offsets.topic.segment.bytes", ConfigType.Int, "104857600", ConfigValidator.AtLeast(1), ConfigImportance.Low,
            "Segment size of __consumer_offsets, kept small for fast loading."),
        Define("offsets.retention.minutes", ConfigType.Int, "10080", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "Committed offsets of an empty group are dropped after this many minutes."),
        Define("offsets.retention.check.interval.ms", ConfigType.Long, "600000", ConfigValidator.AtLeast(1), ConfigImportance.Low,
            "How often expired offsets are looked for."),
        Define("group.initial.rebalance.delay.ms", ConfigType.Int, "0", ConfigValidator.AtLeast(0), ConfigImportance.Medium,
            "Wait this long for more members before the first rebalance of an empty group (Kafka: 3000; 0 suits a single node)."),
        Define("group.min.session.timeout.ms", ConfigType.Int, "6000", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Smallest session timeout a consumer may ask for."),
        Define("group.max.session.timeout.ms", ConfigType.Int, "1800000", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Largest session timeout a consumer may ask for."),
        Define("group.max.size", ConfigType.Int, int.MaxValue.ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Most members one group may have."),

        // Share groups (KIP-932). The keys a group may override are the group keys below.
        Define("group.share.record.lock.duration.ms", ConfigType.Int, "30000", ConfigValidator.AtLeast(1000), ConfigImportance.Medium,
            "How long a record a share consumer acquired stays locked to it before it is offered again; a group may set its own (share.record.lock.duration.ms) within the two bounds below."),
        Define("group.share.min.record.lock.duration.ms", ConfigType.Int, "15000", ConfigValidator.AtLeast(1000), ConfigImportance.Medium,
            "Smallest record lock duration a share group may set."),
        Define("group.share.max.record.lock.duration.ms", ConfigType.Int, "60000", ConfigValidator.AtLeast(1000), ConfigImportance.Medium,
            "Largest record lock duration a share group may set."),
        Define("group.share.delivery.count.limit", ConfigType.Int, "5", ConfigValidator.Between(2, 10), ConfigImportance.Medium,
            "Deliveries after which a record that was released or whose lock expired is archived (never offered again)."),
        Define("group.share.partition.max.record.locks", ConfigType.Int, "2000", ConfigValidator.AtLeast(100), ConfigImportance.Medium,
            "Most records of one share-partition locked at once; fetches acquire no more until some are acknowledged or their locks expire."),
        Define("group.share.heartbeat.interval.ms", ConfigType.Int, "5000", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Heartbeat period share-group members are told; must be less than group.share.session.timeout.ms."),
        Define("group.share.session.timeout.ms", ConfigType.Int, "45000", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "A share-group member that has not heartbeated for this long is removed."),
        Define("group.share.max.size", ConfigType.Int, "200", ConfigValidator.AtLeast(1), ConfigImportance.Medium,
            "Most members one share group may have."),
        Define("group.share.dead.letter.topic", ConfigType.String, "", TopicNameOrEmpty(), ConfigImportance.Medium,
            "Wharf: topic a share group copies each record to before archiving it for reaching the delivery count limit; empty copies nowhere."),

        // Transactions and idempotence.
        Define("transaction.max.timeout.ms", ConfigType.Int, "900000", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "Largest transaction timeout a producer may ask for."),
        Define("transactional.id.expiration.ms", ConfigType.Int, (7 * Day).ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(1), ConfigImportance.High,
            "A transactional id unused for this long is forgotten."),
        Define("transaction.state.log.num.partitions", ConfigType.Int, "50", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "Partitions of __transaction_state."),
        Define("transaction.state.log.replication.factor", ConfigType.Int, "3", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "Replicas of __transaction_state. Unset: 3, capped at the live brokers when it is created (1 on a single node); set explicitly, FindCoordinator answers COORDINATOR_NOT_AVAILABLE until that many brokers are live."),
        Define("transaction.state.log.min.isr", ConfigType.Int, "1", ConfigValidator.AtLeast(1), ConfigImportance.High,
            "min.insync.replicas of __transaction_state."),
        Define("transaction.state.log.segment.bytes", ConfigType.Int, "104857600", ConfigValidator.AtLeast(1), ConfigImportance.Low,
            "Segment size of __transaction_state."),
        Define("transaction.abort.timed.out.transaction.cleanup.interval.ms", ConfigType.Int, "10000", ConfigValidator.AtLeast(1), ConfigImportance.Low,
            "How often timed-out transactions are looked for and aborted."),
        Define("producer.id.expiration.ms", ConfigType.Int, Day.ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(1), ConfigImportance.Low,
            "Idempotent producer state is dropped after this long without writes."),
    ];

    /// <summary>Topic keys and the broker key each takes its default from.</summary>
    private static readonly (string Topic, string Broker, string Documentation)[] TopicSynonyms =
    [
        ("cleanup.policy", "log.cleanup.policy", "delete by retention, compact to the newest record per key, or both"),
        ("compression.type", "compression.type", "codec batches are stored with; 'producer' keeps the producer's, a codec recompresses on append"),
        ("delete.retention.ms", "log.cleaner.delete.retention.ms", "how long compaction keeps tombstones"),
        ("file.delete.delay.ms", "log.segment.delete.delay.ms", "how long a deleted segment's files linger before removal"),
        ("index.interval.bytes", "log.index.interval.bytes", "bytes of log between two sparse index entries"),
        ("max.message.bytes", "message.max.bytes", "largest record batch accepted, after compression"),
        ("message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms", "reject CreateTime timestamps further than this in the future"),
        ("message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms", "reject CreateTime timestamps further than this in the past"),
        ("message.timestamp.type", "log.message.timestamp.type", "keep the producer's timestamps or stamp the broker's time"),
        ("min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", "a record stays uncompacted for at least this long"),
        ("min.insync.replicas", "min.insync.replicas", "with acks=all, a write needs this many in-sync replicas"),
        ("retention.bytes", "log.retention.bytes", "delete the oldest segments while the partition is larger than this; -1 is unlimited"),
        ("retention.ms", "log.retention.ms", "delete segments whose newest record is older than this; -1 keeps forever"),
        ("segment.bytes", "log.segment.bytes", "roll to a new segment when the active one would grow past this"),
        ("segment.index.bytes", "log.index.size.max.bytes", "largest index file of a segment; a full index rolls the segment"),
        ("segment.jitter.ms", "log.roll.jitter.ms", "largest amount subtracted from segment.ms, different per segment"),
        ("segment.ms", "log.roll.ms", "roll once the active segment's first record is this old"),
        ("unclean.leader.election.enable", "unclean.leader.election.enable", "when no in-sync replica is live, let a live replica outside the ISR lead; acknowledged records may be lost"),
    ];

    /// <summary>
    /// Group keys (resource type GROUP) and the broker key each takes its default from; a key without a broker key has
    /// its own type, default and allowed values. Kafka's names, except <c>share.dead.letter.topic</c>, which is Wharf's.
    /// </summary>
    private static readonly ConfigDefinition[] GroupList =
    [
        GroupKey("share.auto.offset.reset", ConfigType.String, "latest", ConfigValidator.OneOf("latest", "earliest"),
            "Where a share-partition without state starts: latest (records produced from now on) or earliest (every record still in the log)."),
        GroupKeyOf("share.dead.letter.topic", "group.share.dead.letter.topic",
            "Wharf: topic records are copied to before they are archived for reaching the delivery count limit; empty copies nowhere."),
        GroupKeyOf("share.delivery.count.limit", "group.share.delivery.count.limit",
            "Deliveries after which a record that was released or whose lock expired is archived."),
        GroupKeyOf("share.heartbeat.interval.ms", "group.share.heartbeat.interval.ms",
            "Heartbeat period the group's members are told; must be less than the session timeout."),
        GroupKey("share.isolation.level", ConfigType.String, "read_uncommitted", ConfigValidator.OneOf("read_uncommitted", "read_committed"),
            "read_committed delivers only committed transactional records and stops at the last stable offset; read_uncommitted delivers everything up to the high watermark."),
        GroupKeyOf("share.record.lock.duration.ms", "group.share.record.lock.duration.ms",
            "How long an acquired record stays locked to its consumer; within group.share.min.record.lock.duration.ms and group.share.max.record.lock.duration.ms."),
        GroupKeyOf("share.session.timeout.ms", "group.share.session.timeout.ms",
            "A member that has not heartbeated for this long is removed from the group."),
    ];

    /// <summary>
    /// Wharf's own topic keys, without a broker key: their default is the catalogue's, the same for every topic.
    /// </summary>
    private static readonly ConfigDefinition[] TopicOnlyList =
    [
        new("retention.consumed.groups", ConfigType.List, "", GroupIdListValidator(), ConfigImportance.Medium,
            "Wharf: consumer groups (classic or share) this topic is a queue for: a closed segment is also deleted once every listed group has consumed past it (empty: off).",
            ConfigScope.Topic),
    ];

    /// <summary>
    /// Topic keys Kafka clients send that Wharf accepts, stores and describes but does not act on, each with why
    /// (<see cref="ConfigDefinition.NoEffect"/>). Kafka 3.x clients and tools set them, so refusing them would break
    /// topic creation for no benefit.
    /// </summary>
    private static readonly ConfigDefinition[] TopicWithoutEffectList =
    [
        NoEffectTopicKey("flush.messages", ConfigType.Long, long.MaxValue.ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(1), null,
            "Fsync after this many messages (interval flush mode).",
            "log.flush.mode decides: 'ack' fsyncs every acknowledged write (stronger than flush.messages=1), 'interval' fsyncs every log.flush.interval.ms"),
        NoEffectTopicKey("flush.ms", ConfigType.Long, "1000", ConfigValidator.AtLeast(1), "log.flush.interval.ms",
            "Fsync at least this often (interval flush mode).",
            "the broker-wide log.flush.interval.ms applies to every topic; a per-topic period is not built"),
        NoEffectTopicKey("max.compaction.lag.ms", ConfigType.Long, long.MaxValue.ToString(CultureInfo.InvariantCulture), ConfigValidator.AtLeast(1), null,
            "A record becomes eligible for compaction after at most this long.",
            "the cleaner compacts every closed segment on each pass (log.cleaner.backoff.ms); it does not roll the active segment for this bound"),
        NoEffectTopicKey("message.format.version", ConfigType.String, "3.0-IV1", null, null,
            "Deprecated in Kafka 3.0 (removed in 4.0): the on-disk record format version.",
            "Wharf always stores record batches v2 (magic 2), which is what every version from 3.0 on means"),
        NoEffectTopicKey("min.cleanable.dirty.ratio", ConfigType.Double, "0.5", ConfigValidator.BetweenDouble(0, 1), null,
            "Compact once this share of the log is uncompacted.",
            "the cleaner compacts every closed segment on each pass (log.cleaner.backoff.ms), as if the ratio were 0"),
        NoEffectTopicKey("preallocate", ConfigType.Boolean, "false", null, null,
            "Preallocate segment files at full size.",
            "segment files grow as they are written; Kafka preallocates mainly for NTFS"),
    ];

    /// <summary>
    /// Kafka broker keys we recognise but do not support yet, grouped by why: ignored with a warning that says so.
    /// Keys of features that are planned name the capability that will read them.
    /// </summary>
    private static readonly (string Reason, string[] Keys)[] UnsupportedGroups =
    [
        ("followers fetch over the first listener with the OS's socket buffers; the high watermark is not checkpointed (a new leader rebuilds it from its followers' fetches); follower fetching for consumers and the leader-imbalance timer are not built (leaders move back when their preferred replica returns)",
            ["replica.socket.receive.buffer.bytes", "replica.high.watermark.checkpoint.interval.ms",
             "replica.selector.class", "leader.imbalance.check.interval.seconds",
             "leader.imbalance.per.broker.percentage", "inter.broker.listener.name", "security.inter.broker.protocol"]),
        ("log.flush.mode decides: 'ack' fsyncs every acknowledged write, 'interval' every log.flush.interval.ms",
            ["log.flush.interval.messages", "log.flush.scheduler.interval.ms"]),
        ("segment files grow as they are written; Kafka preallocates mainly for NTFS",
            ["log.preallocate"]),
        ("the cleaner compacts every closed segment on each pass (log.cleaner.backoff.ms); it has no dirty-ratio or lag scheduling",
            ["log.cleaner.min.cleanable.ratio", "log.cleaner.max.compaction.lag.ms", "log.cleaner.threads", "log.cleaner.dedupe.buffer.size",
             "log.cleaner.io.buffer.size", "log.cleaner.io.buffer.load.factor", "log.cleaner.io.max.bytes.per.second"]),
        ("deprecated in Kafka 3.0 and removed in 4.0; Wharf always stores record batches v2",
            ["log.message.format.version", "inter.broker.protocol.version"]),
        ("ZooKeeper and KRaft settings: Wharf's metadata is its own embedded log",
            ["zookeeper.connect", "zookeeper.connection.timeout.ms", "zookeeper.session.timeout.ms", "zookeeper.set.acl",
             "process.roles", "controller.quorum.voters", "controller.quorum.bootstrap.servers", "controller.listener.names",
             "metadata.log.dir", "metadata.log.segment.bytes", "metadata.max.retention.ms", "metadata.max.retention.bytes"]),
        ("TLS, SASL and authorisation are not built yet",
            ["listener.security.protocol.map", "authorizer.class.name", "super.users", "allow.everyone.if.no.acl.found", "principal.builder.class"]),
        ("thread pools, socket buffers and connection quotas are managed by .NET and the operating system",
            ["num.network.threads", "num.io.threads", "num.recovery.threads.per.data.dir", "background.threads", "queued.max.requests",
             "socket.send.buffer.bytes", "socket.receive.buffer.bytes", "socket.listen.backlog.size", "max.connections",
             "max.connections.per.ip", "max.connections.per.ip.overrides", "quota.window.num", "quota.window.size.seconds"]),
        ("fixed internally (checkpoint periods, coordinator loading and commit settings)",
            ["log.flush.offset.checkpoint.interval.ms", "log.flush.start.offset.checkpoint.interval.ms", "offsets.commit.timeout.ms",
             "offsets.load.buffer.size", "offsets.commit.required.acks", "transaction.state.log.load.buffer.size", "request.timeout.ms"]),
        ("KIP-848 consumer groups are not built yet (the classic group protocol is served)",
            ["group.coordinator.rebalance.protocols", "group.consumer.heartbeat.interval.ms", "group.consumer.session.timeout.ms"]),
        ("not applicable", ["metric.reporters", "unstable.api.versions.enable"]),
    ];

    private static readonly string[] UnsupportedPrefixes =
    [
        "ssl.", "sasl.", "listener.name.", "zookeeper.", "confluent.", "remote.log.", "share.", "delegation.token.",
        "security.", "metrics.", "client.quota.", "password.encoder.", "kafka.metrics.", "ssl_", "sasl_",
    ];

    /// <summary>Broker keys by name.</summary>
    public static FrozenDictionary<string, ConfigDefinition> Broker { get; } =
        BrokerList.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>Topic keys by name, in Kafka's alphabetical order through <see cref="TopicKeys"/>.</summary>
    public static FrozenDictionary<string, ConfigDefinition> Topic { get; } = TopicSynonyms
        .Select(t =>
        {
            var broker = Broker[t.Broker];
            return new ConfigDefinition(t.Topic, broker.Type, ConfigDefinition.Format(broker.DefaultValue), broker.Validator,
                broker.Importance, char.ToUpperInvariant(t.Documentation[0]) + t.Documentation[1..] + ".", ConfigScope.Topic, t.Broker);
        })
        .Concat(TopicOnlyList)
        .Concat(TopicWithoutEffectList)
        .ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>Group keys by name (resource type GROUP), alphabetical through <see cref="GroupKeys"/>.</summary>
    public static FrozenDictionary<string, ConfigDefinition> Group { get; } = GroupList.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>Group keys, alphabetical.</summary>
    public static IReadOnlyList<ConfigDefinition> GroupKeys { get; } = GroupList.OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();

    /// <summary>Broker keys in catalogue order (grouped by subject).</summary>
    public static IReadOnlyList<ConfigDefinition> BrokerKeys { get; } = BrokerList;

    /// <summary>Topic keys, alphabetical.</summary>
    public static IReadOnlyList<ConfigDefinition> TopicKeys { get; } = Topic.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Recognised Kafka broker keys we ignore (with a warning), each with why; keys under
    /// <see cref="UnsupportedKeyPrefixes"/> too.
    /// </summary>
    public static FrozenDictionary<string, string> UnsupportedKeys { get; } = UnsupportedGroups
        .SelectMany(g => g.Keys.Select(k => KeyValuePair.Create(k, g.Reason)))
        .ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The unsupported keys grouped by the reason they are ignored, for the docs.</summary>
    public static IReadOnlyList<(string Reason, IReadOnlyList<string> Keys)> UnsupportedKeyGroups { get; } =
        UnsupportedGroups.Select(g => (g.Reason, (IReadOnlyList<string>)g.Keys)).ToArray();

    public static IReadOnlyList<string> UnsupportedKeyPrefixes { get; } = UnsupportedPrefixes;

    /// <summary>True for a Kafka key that Wharf recognises but ignores.</summary>
    public static bool IsUnsupported(string key) =>
        UnsupportedKeys.ContainsKey(key) || UnsupportedPrefixes.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>The broker key (and its fallbacks, in precedence order) that give a topic key its default.</summary>
    public static IEnumerable<string> BrokerSynonymsOf(ConfigDefinition topicKey)
    {
        if (topicKey.BrokerSynonym is not { } synonym)
        {
            yield break;
        }

        yield return synonym;
        foreach (var fallback in Broker[synonym].Fallbacks)
        {
            yield return fallback.Key;
        }
    }

    private static ConfigDefinition Define(string name, ConfigType type, string? defaultValue, ConfigValidator? validator,
        ConfigImportance importance, string documentation, params ConfigFallback[] fallbacks) =>
        new(name, type, defaultValue, validator, importance, documentation, ConfigScope.Broker, null, fallbacks);

    /// <summary>Why an unsupported key is ignored, for the start-up warning.</summary>
    public static string UnsupportedReason(string key) =>
        UnsupportedKeys.TryGetValue(key, out var reason) ? reason : "this family of Kafka settings is not supported";

    private static ConfigDefinition GroupKey(string name, ConfigType type, string defaultValue, ConfigValidator validator, string documentation) =>
        new(name, type, defaultValue, validator, ConfigImportance.Medium, documentation, ConfigScope.Group);

    /// <summary>A group key with the type, default and allowed values of the broker key that supplies its default.</summary>
    private static ConfigDefinition GroupKeyOf(string name, string brokerKey, string documentation)
    {
        var broker = BrokerList.Single(d => d.Name == brokerKey);
        return new(name, broker.Type, ConfigDefinition.Format(broker.DefaultValue), broker.Validator, broker.Importance, documentation,
            ConfigScope.Group, brokerKey);
    }

    private static ConfigDefinition NoEffectTopicKey(string name, ConfigType type, string defaultValue, ConfigValidator? validator,
        string? brokerSynonym, string documentation, string noEffect) =>
        new(name, type, defaultValue, validator, ConfigImportance.Low, documentation, ConfigScope.Topic, brokerSynonym, noEffect: noEffect);

    /// <summary>
    /// Group ids, each at most <see cref="MaxGroupIdLength"/> characters (the group coordinator refuses longer ones, so
    /// such a group could never consume anything) and named once.
    /// </summary>
    private static ConfigValidator GroupIdListValidator() =>
        ConfigValidator.Custom("group ids, comma-separated; empty for none", value =>
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var group in (IReadOnlyList<string>)value)
            {
                if (group.Length > MaxGroupIdLength)
                {
                    return $"group id '{group[..32]}...' is longer than {MaxGroupIdLength} characters";
                }

                if (!names.Add(group))
                {
                    return $"group id '{group}' appears twice";
                }
            }

            return null;
        });

    /// <summary>The group coordinator's longest accepted group id (<c>GroupCoordinatorOptions.MaxGroupIdLength</c>).</summary>
    private const int MaxGroupIdLength = 1024;

    private static ConfigValidator NonEmptyList() =>
        ConfigValidator.Custom("a non-empty list", value => ((IReadOnlyList<string>)value).Count == 0 ? "must not be empty" : null);

    private static ConfigValidator ListenerValidator(bool allowEmpty) =>
        ConfigValidator.Custom("NAME://host:port,...", value =>
        {
            var items = (IReadOnlyList<string>)value;
            if (items.Count == 0)
            {
                return allowEmpty ? null : "must name at least one listener";
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                if (!Listener.TryParse(item, out var listener, out var error))
                {
                    return error;
                }

                if (!names.Add(listener.Name))
                {
                    return $"listener name '{listener.Name}' appears twice";
                }
            }

            return null;
        });

    /// <summary>Empty (no HTTP listener) or one <c>http://host:port</c>.</summary>
    private static ConfigValidator HttpListenerValidator() =>
        ConfigValidator.Custom("empty, or http://host:port", value =>
        {
            var items = (IReadOnlyList<string>)value;
            if (items.Count == 0)
            {
                return null;
            }

            if (items.Count > 1)
            {
                return "only one HTTP listener is served";
            }

            return !Listener.TryParse(items[0], out var listener, out var error) ? error
                : listener.Name != "HTTP" ? $"'{items[0]}' must start with http://"
                : null;
        });

    /// <summary>The shape only (non-empty, no scheme); the exe parses it fully and names what is wrong.</summary>
    private static ConfigValidator EtcdConnectValidator() =>
        ConfigValidator.Custom("host:port[,host:port...][/prefix]", value =>
        {
            var text = ((string)value).Trim();
            return text.Length == 0 ? "must name at least one etcd endpoint, host:port"
                : text.Contains("://", StringComparison.Ordinal) ? "must not have a scheme; write host:port[,host:port...][/prefix]"
                : null;
        });

    /// <summary>Empty, or a legal topic name (Kafka's rule: up to 249 of letters, digits, '.', '_', '-'; not '.' or '..').</summary>
    private static ConfigValidator TopicNameOrEmpty() =>
        ConfigValidator.Custom("empty, or a topic name", value =>
        {
            var text = (string)value;
            return text.Length == 0 ? null
                : text is "." or ".." ? "must not be '.' or '..'"
                : text.Length > 249 ? "must be at most 249 characters"
                : !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-') ? "must be letters, digits, '.', '_' and '-'"
                : null;
        });

    private static ConfigValidator ClusterIdValidator() =>
        ConfigValidator.Custom("letters, digits, '-' and '_'", value =>
        {
            var text = (string)value;
            return text.Length == 0 || !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
                ? "must be non-empty letters, digits, '-' and '_'"
                : null;
        });
}
