namespace Wharf.Metadata;

/// <summary>Kafka's rules for topic names. Thread-safety: stateless.</summary>
public static class TopicNames
{
    public const int MaxLength = 249;

    /// <summary>Null when <paramref name="name"/> is a legal topic name, else why not.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "Topic name is empty.";
        }

        if (name is "." or "..")
        {
            return $"Topic name cannot be '{name}'.";
        }

        if (name.Length > MaxLength)
        {
            return $"Topic name is {name.Length} characters long; at most {MaxLength} are allowed.";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"Topic name '{name}' contains '{c}'; only ASCII letters, digits, '.', '_' and '-' are allowed.";
            }
        }

        return null;
    }

    /// <summary>
    /// Kafka forbids two topics whose names differ only in '.' versus '_', because metric names replace '.' with
    /// '_'. Names that collide have the same key.
    /// </summary>
    public static string CollisionKey(string name) => name.Replace('.', '_');
}
