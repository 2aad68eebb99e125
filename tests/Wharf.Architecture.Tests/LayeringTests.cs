using System.Reflection;

namespace Wharf.Architecture.Tests;

/// <summary>
/// The layering of the design (§3), checked on the compiled assemblies: each Wharf assembly may reference only
/// the Wharf assemblies listed for it (directly; what they reference in turn is their business).
/// </summary>
public class LayeringTests
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Wharf.Common"] = [],
        ["Wharf.Client"] = [], // a client library: nothing of the broker
        ["Wharf.Records"] = ["Wharf.Common"],
        ["Wharf.Protocol"] = ["Wharf.Records", "Wharf.Common"],
        ["Wharf.Storage"] = ["Wharf.Records", "Wharf.Common"],
        ["Wharf.Configuration"] = ["Wharf.Common"],
        ["Wharf.Metadata"] = ["Wharf.Protocol", "Wharf.Configuration", "Wharf.Records", "Wharf.Common"],
        ["Wharf.Metadata.Etcd"] = ["Wharf.Metadata", "Wharf.Configuration"],
        ["Wharf.Replication"] = ["Wharf.Storage", "Wharf.Metadata", "Wharf.Records", "Wharf.Common"],
        ["Wharf.Coordinator"] = ["Wharf.Protocol", "Wharf.Records", "Wharf.Common"],
        ["Wharf.Network"] = ["Wharf.Protocol", "Wharf.Records", "Wharf.Common"],
        ["Wharf.Server"] = ["Wharf.Network", "Wharf.Coordinator", "Wharf.Replication", "Wharf.Storage", "Wharf.Metadata", "Wharf.Configuration", "Wharf.Protocol", "Wharf.Records", "Wharf.Common"],
        ["Wharf.Testing"] = ["Wharf.Server", "Wharf.Network", "Wharf.Coordinator", "Wharf.Replication", "Wharf.Storage", "Wharf.Metadata", "Wharf.Configuration", "Wharf.Protocol", "Wharf.Records", "Wharf.Common"],
        ["wharf"] = ["Wharf.Server", "Wharf.Metadata.Etcd", "Wharf.Network", "Wharf.Coordinator", "Wharf.Replication", "Wharf.Storage", "Wharf.Metadata", "Wharf.Configuration", "Wharf.Protocol", "Wharf.Records", "Wharf.Common"],
    };

    public static TheoryData<string> Assemblies() => [.. Allowed.Keys];

    [Theory]
    [MemberData(nameof(Assemblies))]
    public void Assembly_ReferencesOnlyTheLayersBelowIt(string name)
    {
        var assembly = Assembly.Load(name);
        var wharfReferences = assembly.GetReferencedAssemblies()
            .Select(r => r.Name!)
            .Where(r => r.StartsWith("Wharf", StringComparison.Ordinal) || r == "wharf")
            .ToList();
        var forbidden = wharfReferences.Except(Allowed[name]).ToList();
        Assert.True(forbidden.Count == 0, $"{name} references {string.Join(", ", forbidden)}, which the layering forbids");
    }

    [Fact]
    public void NothingReferencesTheExecutableOrTheTestingLibrary()
    {
        foreach (var name in Allowed.Keys)
        {
            var references = Assembly.Load(name).GetReferencedAssemblies().Select(r => r.Name).ToList();
            Assert.DoesNotContain("wharf", references);
            Assert.True(name == "Wharf.Testing" || !references.Contains("Wharf.Testing"), $"{name} references Wharf.Testing");
        }
    }

    [Fact]
    public void OnlyMetadataEtcdReferencesTheEtcdClient()
    {
        foreach (var name in Allowed.Keys.Where(n => n != "Wharf.Metadata.Etcd"))
        {
            var references = Assembly.Load(name).GetReferencedAssemblies().Select(r => r.Name).ToList();
            Assert.True(!references.Contains("dotnet-etcd"), $"{name} references dotnet-etcd; only Wharf.Metadata.Etcd may");
        }

        Assert.Contains("dotnet-etcd", Assembly.Load("Wharf.Metadata.Etcd").GetReferencedAssemblies().Select(r => r.Name));
    }

    [Fact]
    public void StorageNeverSeesTheProtocolOrTheNetwork()
    {
        var references = Assembly.Load("Wharf.Storage").GetReferencedAssemblies().Select(r => r.Name).ToList();
        Assert.DoesNotContain("Wharf.Protocol", references);
        Assert.DoesNotContain("Wharf.Network", references);
        Assert.DoesNotContain(references, r => r!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }
}
