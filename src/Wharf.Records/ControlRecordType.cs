namespace Wharf.Records;

/// <summary>
/// The type in a control record's key (Kafka <c>ControlRecordType</c>). Abort and Commit are transaction
/// markers; the rest are KRaft-internal and listed so they can be recognised and skipped.
/// </summary>
public enum ControlRecordType : short
{
    Abort = 0,
    Commit = 1,
    LeaderChange = 2,
    SnapshotHeader = 3,
    SnapshotFooter = 4,
    KRaftVersion = 5,
    KRaftVoters = 6,
}
