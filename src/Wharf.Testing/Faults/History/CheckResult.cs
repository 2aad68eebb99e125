using System.Globalization;
using System.Text;

namespace Wharf.Testing.Faults.History;

/// <summary>
/// What <see cref="HistoryChecker"/> found: a count per anomaly (every anomaly is listed, zero or not), a few examples
/// of each, how much was written and read, and per partition the longest time without an acknowledged send during
/// the fault window. Immutable.
/// </summary>
public sealed record CheckResult(
    IReadOnlyDictionary<string, int> Counts,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Examples,
    int AckedSends,
    int DistinctValuesRead,
    IReadOnlyDictionary<string, TimeSpan> LongestUnavailability)
{
    /// <summary>The anomalies the checker reports, in report order.</summary>
    public static readonly IReadOnlyList<string> Anomalies =
        ["lost-write", "unseen", "duplicate", "inconsistent-offsets", "nonmonotonic-poll", "poll-skip", "G1a", "nonmonotonic-send"];

    /// <summary>True when every anomaly count is zero.</summary>
    public bool Valid => Counts.Values.All(c => c == 0);

    public int this[string anomaly] => Counts[anomaly];

    /// <summary>A few lines for a test's output or a console.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{(Valid ? "valid" : "INVALID")}: {AckedSends} acknowledged sends, {DistinctValuesRead} distinct values read");
        text.AppendLine(string.Join(", ", Anomalies.Select(a => $"{a} {Counts[a]}")));
        foreach (var (anomaly, examples) in Examples.Where(e => e.Value.Count > 0))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {anomaly}: {string.Join("; ", examples)}");
        }

        if (LongestUnavailability.Count > 0)
        {
            text.AppendLine("longest time without an acknowledged send during faults: " +
                string.Join(", ", LongestUnavailability.OrderBy(u => u.Key, StringComparer.Ordinal).Select(u => $"{u.Key} {u.Value.TotalSeconds:0.0} s")));
        }

        return text.ToString().TrimEnd();
    }
}
