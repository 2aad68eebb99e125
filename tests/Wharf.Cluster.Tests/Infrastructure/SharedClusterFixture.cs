namespace Wharf.Cluster.Tests.Infrastructure;

/// <summary>
/// One 3-broker cluster shared by the test classes of <see cref="SharedClusterCollection"/>: tests that do not stop,
/// fence or restart brokers. Each test uses its own topics and groups. Not started when etcd is missing outside CI
/// (those tests are skipped); under <c>CI=true</c> a missing etcd fails every test of the collection.
/// </summary>
public sealed class SharedClusterFixture : IAsyncLifetime
{
    private WharfCluster? _cluster;

    public WharfCluster Cluster => _cluster ?? throw new InvalidOperationException("no shared cluster: etcd is missing");

    public async Task InitializeAsync()
    {
        if (TestClusters.CanStart)
        {
            _cluster = await WharfCluster.StartAsync(TestClusters.Options());
        }
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>The test classes that share one <see cref="SharedClusterFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SharedClusterCollection : ICollectionFixture<SharedClusterFixture>
{
    public const string Name = "shared 3-broker cluster";
}
