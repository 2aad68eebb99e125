using System.Diagnostics;

namespace Wharf.LoadGen;

/// <summary>
/// Which code a run measured: <c>git rev-parse HEAD</c> of the repository and whether the working tree differed
/// from it (<c>git status --porcelain</c>; the tool's own results folder is ignored, since earlier runs write
/// there). A table from a dirty tree cannot be reproduced from its commit, so the report says so.
/// Thread-safety: immutable.
/// </summary>
public sealed record SourceRevision(string Commit, bool Dirty, IReadOnlyList<string> DirtyPaths)
{
    private const string ResultsFolder = "bench/Wharf.LoadGen/results/";
    private const int MaxPathsKept = 20;

    /// <summary>One line for the log and the table header.</summary>
    public string Describe() => Dirty
        ? $"commit {Commit} + uncommitted changes ({DirtyPaths.Count}{(DirtyPaths.Count >= MaxPathsKept ? "+" : "")} paths, e.g. {string.Join(", ", DirtyPaths.Take(3))})"
        : $"commit {Commit} (clean tree)";

    /// <summary>Reads the revision of the repository at <paramref name="root"/>; "unknown" when git fails.</summary>
    public static SourceRevision Of(string root)
    {
        var commit = Git(root, "rev-parse", "HEAD")?.Trim();
        var status = Git(root, "status", "--porcelain");
        if (commit is null || status is null)
        {
            return new SourceRevision("unknown (git failed)", true, []);
        }

        var paths = Changed(status).ToList();
        return new SourceRevision(commit, paths.Count > 0, [.. paths.Take(MaxPathsKept)]);
    }

    /// <summary>The changed paths in <c>git status --porcelain</c> output, without the tool's results folder.</summary>
    public static IEnumerable<string> Changed(string porcelain) =>
        porcelain.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.Length > 3)
            .Select(line => line[3..].Trim().Trim('"'))
            .Where(path => !path.StartsWith(ResultsFolder, StringComparison.Ordinal));

    private static string? Git(string root, params string[] arguments)
    {
        var info = new ProcessStartInfo("git") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-C");
        info.ArgumentList.Add(root);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return process.ExitCode == 0 ? output.Result : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
