namespace Wharf.Metadata.Etcd.Tests.Infrastructure;

/// <summary>One etcd member shared by the tests of a class; each test uses its own key prefix.</summary>
public sealed class SingleEtcdFixture : IAsyncLifetime
{
    private EtcdCluster? _cluster;

    public EtcdCluster Cluster => _cluster ?? throw new InvalidOperationException("etcd did not start");

    public async Task InitializeAsync()
    {
        if (EtcdCluster.MissingReason is null || EtcdCluster.IsCi)
        {
            _cluster = await EtcdCluster.StartAsync(1);
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
