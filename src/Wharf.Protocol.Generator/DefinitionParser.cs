using System;
using System.Collections.Generic;
using System.Globalization;

namespace Wharf.Protocol.Generator;

/// <summary>
/// Parses one <c>.wdef</c> file: Wharf's own, line-oriented definition of an API's request and response.
/// <code>
/// # comment
/// api Produce 0                  name and API key
/// versions 3-11                  versions the codec decodes
/// flexible 9+                    first flexible version, or "none"
/// request                        then "response"; each is a list of fields
///     Name: type [@V] [nullable[@V]] [default=X] [tag=N[@V]]
///         Child: type ...        indented 4 more: fields of the struct declared by the line above
/// struct Name                    a struct referenced by name from the current side
/// </code>
/// Types: int8 int16 uint16 int32 uint32 int64 float64 bool uuid string bytes records, a struct name, or
/// <c>[]</c> + either. Versions (<c>@3+</c>, <c>@3-7</c>, <c>@4</c>) default to the whole message range;
/// <c>nullable</c> alone means in all the field's versions; a tag's versions default to the field's.
/// </summary>
internal static class DefinitionParser
{
    private static readonly HashSet<string> Primitives = new()
    {
        "int8", "int16", "uint16", "int32", "uint32", "int64", "float64", "bool", "uuid", "string", "bytes", "records",
    };

    public static bool IsPrimitive(string name) => Primitives.Contains(name);

    public static ApiDefinition Parse(string text)
    {
        string? name = null;
        short key = -1;
        VersionRange? versions = null;
        short flexible = -2;
        MessageDefinition? request = null;
        MessageDefinition? response = null;
        MessageDefinition? current = null;

        // Stack of (indent, children list) for nesting.
        var stack = new List<(int Indent, List<FieldDefinition> Fields)>();
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var lineNumber = i + 1;
            var raw = lines[i];
            var trimmed = raw.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith("#", StringComparison.Ordinal))
            {
                continue;
            }

            var indent = raw.Length - raw.TrimStart(' ').Length;
            if (raw.IndexOf('\t') >= 0)
            {
                throw new DefinitionException(lineNumber, "Tabs are not allowed; indent with spaces.");
            }

            if (indent == 0)
            {
                var words = trimmed.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                switch (words[0])
                {
                    case "api" when words.Length == 3:
                        name = words[1];
                        key = ParseShort(words[2], lineNumber);
                        continue;
                    case "versions" when words.Length == 2:
                        versions = ParseRange(words[1], new VersionRange(0, short.MaxValue), lineNumber);
                        continue;
                    case "flexible" when words.Length == 2:
                        flexible = words[1] == "none" ? (short)-1 : ParseRange(words[1], new VersionRange(0, short.MaxValue), lineNumber).Low;
                        continue;
                    case "request" when words.Length == 1:
                        current = request = new MessageDefinition(Require(name, lineNumber, "api") + "Request");
                        stack.Clear();
                        stack.Add((0, current.Fields));
                        continue;
                    case "response" when words.Length == 1:
                        current = response = new MessageDefinition(Require(name, lineNumber, "api") + "Response");
                        stack.Clear();
                        stack.Add((0, current.Fields));
                        continue;
                    case "struct" when words.Length == 2:
                        if (current is null)
                        {
                            throw new DefinitionException(lineNumber, "A struct block must follow 'request' or 'response'.");
                        }

                        var common = new StructDefinition(words[1], new List<FieldDefinition>());
                        current.CommonStructs.Add(common);
                        stack.Clear();
                        stack.Add((0, common.Fields));
                        continue;
                    default:
                        throw new DefinitionException(lineNumber, $"Unknown directive '{trimmed}'.");
                }
            }

            if (current is null || versions is null)
            {
                throw new DefinitionException(lineNumber, "Fields must follow 'versions' and 'request' or 'response'.");
            }

            if (indent % 4 != 0)
            {
                throw new DefinitionException(lineNumber, "Indent fields by multiples of 4 spaces.");
            }

            while (stack.Count > 0 && stack[stack.Count - 1].Indent >= indent)
            {
                stack.RemoveAt(stack.Count - 1);
            }

            if (stack.Count == 0 || stack[stack.Count - 1].Indent != indent - 4)
            {
                throw new DefinitionException(lineNumber, "This field is indented deeper than a struct field above it.");
            }

            var field = ParseField(trimmed, versions.Value, lineNumber);
            stack[stack.Count - 1].Fields.Add(field);
            stack.Add((indent, field.Fields));
        }

        if (name is null || key < 0 || versions is null || flexible == -2 || request is null || response is null)
        {
            throw new DefinitionException(1, "A definition needs 'api', 'versions', 'flexible', 'request' and 'response'.");
        }

        return new ApiDefinition(name, key, versions.Value, flexible, request, response);
    }

    private static FieldDefinition ParseField(string text, VersionRange scope, int line)
    {
        var colon = text.IndexOf(':');
        if (colon <= 0)
        {
            throw new DefinitionException(line, "Expected 'Name: type ...'.");
        }

        var name = text.Substring(0, colon).Trim();
        var words = text.Substring(colon + 1).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            throw new DefinitionException(line, $"Field {name} has no type.");
        }

        var field = new FieldDefinition(name, ParseType(words[0], line), line) { Versions = scope };
        var nullable = (string?)null;
        var tagged = (string?)null;
        for (var w = 1; w < words.Length; w++)
        {
            var word = words[w];
            if (word.StartsWith("@", StringComparison.Ordinal))
            {
                field.Versions = ParseRange(word.Substring(1), scope, line);
            }
            else if (word == "nullable" || word.StartsWith("nullable@", StringComparison.Ordinal))
            {
                nullable = word;
            }
            else if (word.StartsWith("default=", StringComparison.Ordinal))
            {
                field.Default = word.Substring("default=".Length);
            }
            else if (word.StartsWith("tag=", StringComparison.Ordinal))
            {
                tagged = word;
            }
            else
            {
                throw new DefinitionException(line, $"Unknown field attribute '{word}'.");
            }
        }

        if (field.Versions.IsEmpty)
        {
            throw new DefinitionException(line, $"Field {name} is present in no version.");
        }

        if (nullable is not null)
        {
            field.NullableVersions = nullable == "nullable" ? field.Versions : ParseRange(nullable.Substring("nullable@".Length), field.Versions, line);
        }

        if (tagged is not null)
        {
            var spec = tagged.Substring("tag=".Length);
            var at = spec.IndexOf('@');
            field.Tag = ParseShort(at < 0 ? spec : spec.Substring(0, at), line);
            field.TaggedVersions = at < 0 ? field.Versions : ParseRange(spec.Substring(at + 1), field.Versions, line);
        }

        return field;
    }

    private static TypeRef ParseType(string text, int line)
    {
        if (text.StartsWith("[]", StringComparison.Ordinal))
        {
            var element = ParseType(text.Substring(2), line);
            if (element.Kind == TypeKind.Array)
            {
                throw new DefinitionException(line, "Arrays of arrays are not supported.");
            }

            return new TypeRef(TypeKind.Array, element.Name, element);
        }

        if (Primitives.Contains(text))
        {
            return new TypeRef(TypeKind.Primitive, text, null);
        }

        if (text.Length > 0 && char.IsUpper(text[0]))
        {
            return new TypeRef(TypeKind.Struct, text, null);
        }

        throw new DefinitionException(line, $"Unknown type '{text}'.");
    }

    /// <summary>"3+", "3-7" or "4", clipped to <paramref name="scope"/>.</summary>
    private static VersionRange ParseRange(string text, VersionRange scope, int line)
    {
        VersionRange range;
        if (text.EndsWith("+", StringComparison.Ordinal))
        {
            range = new VersionRange(ParseShort(text.Substring(0, text.Length - 1), line), scope.High);
        }
        else if (text.IndexOf('-') > 0)
        {
            var parts = text.Split('-');
            range = new VersionRange(ParseShort(parts[0], line), ParseShort(parts[1], line));
        }
        else
        {
            var single = ParseShort(text, line);
            range = new VersionRange(single, single);
        }

        return range.Intersect(scope);
    }

    private static short ParseShort(string text, int line) =>
        short.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new DefinitionException(line, $"'{text}' is not a number.");

    private static string Require(string? value, int line, string what) =>
        value ?? throw new DefinitionException(line, $"'{what}' must come first.");
}
