namespace Wharf.Configuration;

/// <summary>Finds the valid key closest to a misspelt one (Levenshtein distance). Thread-safety: stateless.</summary>
public static class KeySuggester
{
    /// <summary>The closest candidate, or null when none is within a third of the key's length (at least 2 edits).</summary>
    public static string? Closest(string key, IEnumerable<string> candidates)
    {
        var limit = Math.Max(2, key.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(key, candidate);
            if (distance < bestDistance || (distance == bestDistance && string.CompareOrdinal(candidate, best) < 0))
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return bestDistance <= limit ? best : null;
    }

    /// <summary>"Unknown config 'x'; did you mean 'y'?" (or without the question when nothing is close).</summary>
    public static string UnknownKeyMessage(string what, string key, IEnumerable<string> candidates) =>
        Closest(key, candidates) is { } suggestion
            ? $"Unknown {what} '{key}'; did you mean '{suggestion}'?"
            : $"Unknown {what} '{key}'.";

    /// <summary>The Levenshtein distance: insertions, deletions and substitutions.</summary>
    public static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
