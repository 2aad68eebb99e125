using Xunit.Sdk;

namespace Wharf.Metadata.Etcd.Tests.Infrastructure;

/// <summary>
/// A <see cref="FactAttribute"/> for tests that start a real etcd: skipped with a reason when <c>etcd</c> is not on
/// PATH, except under <c>CI=true</c>, where the test runs and fails at once (<see cref="EtcdCluster.StartAsync"/>
/// names the missing tool and the script that installs it).
/// </summary>
[XunitTestCaseDiscoverer("Xunit.Sdk.FactDiscoverer", "xunit.execution.{Platform}")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresEtcdFactAttribute : FactAttribute
{
    public RequiresEtcdFactAttribute()
    {
        if (!EtcdCluster.IsCi && EtcdCluster.MissingReason is { } reason)
        {
            Skip = reason;
        }
    }
}
