namespace Wharf.Records;

/// <summary>Bit 3 of a batch's attributes.</summary>
public enum TimestampType : byte
{
    CreateTime = 0,
    LogAppendTime = 1,
}
