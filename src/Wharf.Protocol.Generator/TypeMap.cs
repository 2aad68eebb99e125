using System.Collections.Generic;

namespace Wharf.Protocol.Generator;

/// <summary>How each definition type maps to C#: names, fixed sizes, reader and writer calls.</summary>
internal static class TypeMap
{
    private static readonly Dictionary<string, (string CsType, int Size, string Method)> Fixed = new()
    {
        ["int8"] = ("sbyte", 1, "Int8"),
        ["int16"] = ("short", 2, "Int16"),
        ["uint16"] = ("ushort", 2, "UInt16"),
        ["int32"] = ("int", 4, "Int32"),
        ["uint32"] = ("uint", 4, "UInt32"),
        ["int64"] = ("long", 8, "Int64"),
        ["float64"] = ("double", 8, "Float64"),
        ["bool"] = ("bool", 1, "Bool"),
        ["uuid"] = ("global::System.Guid", 16, "Uuid"),
    };

    public static bool IsFixedSize(string primitive) => Fixed.ContainsKey(primitive);

    public static int FixedSize(string primitive) => Fixed[primitive].Size;

    public static string Method(string primitive) => Fixed[primitive].Method;

    /// <summary>The C# type of a single value (not an array).</summary>
    public static string ValueType(TypeRef type, bool nullable) => type.Name switch
    {
        "string" => nullable ? "string?" : "string",
        "bytes" => nullable ? "byte[]?" : "byte[]",
        "records" => "global::System.Buffers.ReadOnlySequence<byte>?",
        _ when Fixed.TryGetValue(type.Name, out var f) => f.CsType,
        _ => nullable ? type.Name + "?" : type.Name,
    };

    public static string FieldType(FieldDefinition field)
    {
        var nullable = !field.NullableVersions.IsEmpty;
        if (field.Type.Kind == TypeKind.Array)
        {
            var element = ValueType(field.Type.Element!, nullable: false);
            return nullable ? $"List<{element}>?" : $"List<{element}>";
        }

        return ValueType(field.Type, nullable);
    }

    /// <summary>The initial value of a property: the definition's default, or Kafka's zero value.</summary>
    public static string Initializer(FieldDefinition field)
    {
        var nullable = !field.NullableVersions.IsEmpty;
        var value = field.Default;
        if (field.Type.Kind == TypeKind.Array)
        {
            return value == "null" ? "null" : "new()";
        }

        switch (field.Type.Name)
        {
            case "string":
                if (value == "null")
                {
                    return "null";
                }

                return value is null || value == "\"\"" ? "\"\"" : "\"" + value + "\"";
            case "bytes":
                return value == "null" || (nullable && value is null) ? "null" : "global::System.Array.Empty<byte>()";
            case "records":
                return "new global::System.Buffers.ReadOnlySequence<byte>(global::System.Array.Empty<byte>())";
            case "bool":
                return value ?? "false";
            case "uuid":
                return "global::System.Guid.Empty";
            case "float64":
                return value ?? "0";
            default:
                if (Fixed.ContainsKey(field.Type.Name))
                {
                    return value is null ? "0" : $"unchecked(({Fixed[field.Type.Name].CsType}){value})";
                }

                return nullable && value == "null" ? "null" : "new()";
        }
    }
}
