namespace Wharf.Testing;

/// <summary>How many lines each process of a <see cref="WharfCluster"/> had printed at one moment (by process name).</summary>
public sealed record LogPosition(IReadOnlyDictionary<string, int> LinesByProcess);
