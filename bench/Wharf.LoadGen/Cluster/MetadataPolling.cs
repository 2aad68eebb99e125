using System.Diagnostics;

namespace Wharf.LoadGen.Cluster;

/// <summary>
/// Waits for a condition on what brokers report, each broker polled by its own task (so a slow or dead broker does
/// not delay the reading of another), and says when each broker first satisfied it. The resolution is the poll
/// interval plus one round trip; an unreachable broker counts as "not yet".
/// Thread-safety: stateless; each probe is used by one task.
/// </summary>
public static class MetadataPolling
{
    /// <summary>
    /// For each probe, the time from <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp) until its
    /// broker's answer for <paramref name="topics"/> first satisfied <paramref name="condition"/>.
    /// </summary>
    /// <exception cref="TimeoutException">a broker did not satisfy it within <paramref name="timeout"/>; the message
    /// names the brokers and what they last said.</exception>
    public static async Task<TimeSpan[]> UntilEachAsync(
        IReadOnlyList<MetadataProbe> probes, IReadOnlyCollection<string>? topics, Func<MetadataView, bool> condition,
        long startTimestamp, TimeSpan interval, TimeSpan timeout, CancellationToken cancellationToken, Func<MetadataView?, string>? describe = null)
    {
        var lastSeen = new MetadataView?[probes.Count];
        var waits = probes.Select(async (probe, i) =>
        {
            while (true)
            {
                var view = await probe.TryGetAsync(topics, TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                var elapsed = Stopwatch.GetElapsedTime(startTimestamp);
                lastSeen[i] = view ?? lastSeen[i];
                if (view is not null && condition(view))
                {
                    return (TimeSpan?)elapsed;
                }

                if (elapsed > timeout)
                {
                    return null;
                }

                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
        }).ToArray();
        var results = await Task.WhenAll(waits).ConfigureAwait(false);
        if (results.Any(r => r is null))
        {
            var late = results.Select((r, i) => (r, i)).Where(x => x.r is null)
                .Select(x => $"{probes[x.i].Endpoint}: {(describe ?? Describe)(lastSeen[x.i])}");
            throw new TimeoutException($"not within {timeout.TotalSeconds:0.#} s on {string.Join("; ", late)}");
        }

        return [.. results.Select(r => r!.Value)];
    }

    /// <summary>A short account of a broker's answer for a timeout message.</summary>
    public static string Describe(MetadataView? view) => view is null
        ? "no answer"
        : $"controller {view.ControllerId}, brokers [{string.Join(',', view.Brokers.Order())}], {view.Topics.Count} topic(s), "
          + $"{view.Topics.Values.Sum(t => t.Partitions.Count(p => p.Leader < 0 || p.ErrorCode != 0))} partition(s) without a leader or with an error";
}
