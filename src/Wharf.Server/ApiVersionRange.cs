namespace Wharf.Server;

/// <summary>The inclusive range of versions a handler serves and the broker advertises.</summary>
public readonly record struct ApiVersionRange(short Min, short Max)
{
    public bool Contains(short version) => version >= Min && version <= Max;
}
