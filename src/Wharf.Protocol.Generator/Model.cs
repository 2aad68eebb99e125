using System.Collections.Generic;

namespace Wharf.Protocol.Generator;

/// <summary>An inclusive range of versions; empty when <see cref="Low"/> &gt; <see cref="High"/>.</summary>
internal readonly struct VersionRange
{
    public VersionRange(short low, short high)
    {
        Low = low;
        High = high;
    }

    public short Low { get; }

    public short High { get; }

    public bool IsEmpty => Low > High;

    public bool Covers(VersionRange other) => Low <= other.Low && High >= other.High;

    public VersionRange Intersect(VersionRange other) =>
        new(Low > other.Low ? Low : other.Low, High < other.High ? High : other.High);

    /// <summary>A C# condition on <c>version</c>, simplified for a message that decodes <paramref name="scope"/>.</summary>
    public string Condition(VersionRange scope)
    {
        if (IsEmpty)
        {
            return "false";
        }

        var needLow = Low > scope.Low;
        var needHigh = High < scope.High;
        if (needLow && needHigh)
        {
            return Low == High ? $"version == {Low}" : $"version >= {Low} && version <= {High}";
        }

        return needLow ? $"version >= {Low}" : needHigh ? $"version <= {High}" : "true";
    }
}

internal enum TypeKind
{
    Primitive,
    Struct,
    Array,
}

/// <summary>A field's type: a primitive name, a struct name, or an array of either.</summary>
internal sealed class TypeRef
{
    public TypeRef(TypeKind kind, string name, TypeRef? element)
    {
        Kind = kind;
        Name = name;
        Element = element;
    }

    public TypeKind Kind { get; }

    /// <summary>Primitive (<c>int32</c>, <c>string</c>…) or struct name; for arrays, the element's.</summary>
    public string Name { get; }

    public TypeRef? Element { get; }
}

internal sealed class FieldDefinition
{
    public FieldDefinition(string name, TypeRef type, int line)
    {
        Name = name;
        Type = type;
        Line = line;
    }

    public string Name { get; }

    public TypeRef Type { get; }

    public int Line { get; }

    public VersionRange Versions { get; set; }

    public VersionRange NullableVersions { get; set; } = new(1, 0);

    public string? Default { get; set; }

    public int? Tag { get; set; }

    public VersionRange TaggedVersions { get; set; } = new(1, 0);

    /// <summary>Fields of the struct this field declares inline, if any.</summary>
    public List<FieldDefinition> Fields { get; } = new();
}

internal sealed class StructDefinition
{
    public StructDefinition(string name, List<FieldDefinition> fields)
    {
        Name = name;
        Fields = fields;
    }

    public string Name { get; }

    public List<FieldDefinition> Fields { get; }
}

/// <summary>One side (request or response) of an API.</summary>
internal sealed class MessageDefinition
{
    public MessageDefinition(string className)
    {
        ClassName = className;
    }

    public string ClassName { get; }

    public List<FieldDefinition> Fields { get; } = new();

    /// <summary>Structs declared with a top-level <c>struct</c> block and referenced by name.</summary>
    public List<StructDefinition> CommonStructs { get; } = new();
}

internal sealed class ApiDefinition
{
    public ApiDefinition(string name, short key, VersionRange versions, short firstFlexibleVersion, MessageDefinition request, MessageDefinition response)
    {
        Name = name;
        Key = key;
        Versions = versions;
        FirstFlexibleVersion = firstFlexibleVersion;
        Request = request;
        Response = response;
    }

    public string Name { get; }

    public short Key { get; }

    public VersionRange Versions { get; }

    /// <summary>-1 when no version is flexible.</summary>
    public short FirstFlexibleVersion { get; }

    public MessageDefinition Request { get; }

    public MessageDefinition Response { get; }
}
