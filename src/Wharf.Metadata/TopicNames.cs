namespace Wharf.Metadata;

/// <summary>Kafka's rules for topic names. Thread-safety: stateless.</summary>
public static class TopicNames
{
    public const int MaxLength = 249;

    /// <summary>The group coordinator's state topic (committed offsets, group metadata).</summary>
    public const string ConsumerOffsets = "__consumer_offsets";

    /// <summary>The transaction coordinator's state topic.</summary>
    public const string TransactionState = "__transaction_state";

    /// <summary>
    /// True for the coordinators' state topics, which the broker creates and needs: deleting one would drop every
    /// group's offsets or every open transaction, so DeleteTopics refuses them.
    /// </summary>
    public static bool IsCoordinatorStateTopic(string? name) => name is ConsumerOffsets or TransactionState;

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
