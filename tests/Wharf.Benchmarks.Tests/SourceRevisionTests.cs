using Wharf.LoadGen;

namespace Wharf.Benchmarks.Tests;

/// <summary>The dirty-tree check counts changed sources but not the tool's own earlier results.</summary>
public sealed class SourceRevisionTests
{
    [Fact]
    public void Changed_IgnoresResultsFolderOnly()
    {
        const string porcelain = " M src/Wharf.Storage/Log.cs\n?? bench/Wharf.LoadGen/results/compare-x.json\n?? docs/new.md\n";

        Assert.Equal(["src/Wharf.Storage/Log.cs", "docs/new.md"], SourceRevision.Changed(porcelain));
    }
}
