namespace Wharf.Protocol;

/// <summary>
/// What the codec knows of one API: the versions it decodes and which of them are flexible
/// (compact encodings and tagged fields). Which versions the broker <i>serves</i> is the handler's business.
/// </summary>
public sealed record ApiInfo(ApiKey Key, string Name, short LowestVersion, short HighestVersion, short FirstFlexibleVersion)
{
    public bool IsSupported(short version) => version >= LowestVersion && version <= HighestVersion;

    public bool IsFlexible(short version) => FirstFlexibleVersion >= 0 && version >= FirstFlexibleVersion;

    /// <summary>Request header v2 (with tagged fields) for flexible versions, else v1.</summary>
    public short RequestHeaderVersion(short version) => IsFlexible(version) ? (short)2 : (short)1;

    /// <summary>
    /// Response header v1 for flexible versions, else v0 — except ApiVersions, whose response always uses
    /// header v0 so that a client can parse it before it knows which versions the broker speaks.
    /// </summary>
    public short ResponseHeaderVersion(short version) =>
        Key != ApiKey.ApiVersions && IsFlexible(version) ? (short)1 : (short)0;
}
