namespace Wharf.Testing;

/// <summary>Finds the built <c>wharf.dll</c> that <see cref="WharfCluster"/> runs. Thread-safety: stateless.</summary>
internal static class WharfExecutable
{
    public const string EnvironmentVariable = "WHARF_DLL";
    private const string FileName = "wharf.dll";

    /// <summary>
    /// <paramref name="configured"/>, else <c>$WHARF_DLL</c>, else beside the test assembly, else the repository's
    /// <c>src/Wharf/bin/&lt;configuration&gt;/net10.0</c> (the test assembly's configuration first, then the other).
    /// </summary>
    /// <exception cref="FileNotFoundException">none of them exists (the message lists where it looked).</exception>
    public static string Locate(string? configured)
    {
        var candidates = new List<string>();
        if (configured is not null)
        {
            candidates.Add(configured);
        }
        else if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            candidates.Add(fromEnvironment);
        }
        else
        {
            var here = AppContext.BaseDirectory;
            candidates.Add(Path.Combine(here, FileName));
            if (RepositoryRoot(here) is { } root)
            {
                var release = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal);
                foreach (var configuration in release ? new[] { "Release", "Debug" } : ["Debug", "Release"])
                {
                    candidates.Add(Path.Combine(root, "src", "Wharf", "bin", configuration, "net10.0", FileName));
                }
            }
        }

        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException(
                $"The built wharf executable was not found (looked at: {string.Join(", ", candidates)}). Build src/Wharf, " +
                $"or set {EnvironmentVariable} or {nameof(WharfClusterOptions)}.{nameof(WharfClusterOptions.WharfDll)} to its wharf.dll.",
                FileName);
    }

    private static string? RepositoryRoot(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wharf.slnx")))
            {
                return directory.FullName;
            }
        }

        return null;
    }
}
