using Wharf.Configuration;

namespace Wharf.Configuration.Tests;

public class ConfigDocumentationTests
{
    /// <summary>
    /// docs/configuration.md carries the rendered tables between markers. Run with UPDATE_DOCS=1 to rewrite them
    /// after changing the catalogue.
    /// </summary>
    [Fact]
    public void ConfigurationDoc_MatchesTheCatalogue()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "configuration.md");
        var text = File.ReadAllText(path).ReplaceLineEndings("\n");
        var begin = text.IndexOf(ConfigDocumentation.BeginMarker, StringComparison.Ordinal);
        var end = text.IndexOf(ConfigDocumentation.EndMarker, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "docs/configuration.md lacks the generated-section markers");
        var rendered = ConfigDocumentation.BeginMarker + "\n\n" + ConfigDocumentation.RenderTables() + "\n";
        var current = text[begin..end];
        if (current != rendered && Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, text[..begin] + rendered + text[end..]);
            return;
        }

        Assert.Equal(rendered, current);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Wharf.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Wharf.slnx not found above the test binaries.");
    }
}
