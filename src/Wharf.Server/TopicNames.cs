namespace Wharf.Server;

/// <summary>Kafka's rules for topic names.</summary>
public static class TopicNames
{
    public const int MaxLength = 249;

    /// <summary>Null when valid, else why not.</summary>
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
            return $"Topic name is {name.Length} characters; at most {MaxLength} are allowed.";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return $"Topic name '{name}' has '{c}'; only ASCII letters, digits, '.', '_' and '-' are allowed.";
            }
        }

        return null;
    }
}
