using Xunit.Sdk;

namespace Wharf.Compat.Tests.Infrastructure;

/// <summary>
/// A <see cref="FactAttribute"/> that is skipped when <paramref name="tool"/> is missing, except under
/// <c>CI=true</c>: there it runs, and the test's first line (<see cref="ExternalTools.Require"/>) fails with a
/// message naming the missing tool.
/// </summary>
[XunitTestCaseDiscoverer("Xunit.Sdk.FactDiscoverer", "xunit.execution.{Platform}")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(ExternalTool tool)
    {
        Tool = tool;
        if (!ExternalTools.IsCi && ExternalTools.MissingReason(tool) is { } reason)
        {
            Skip = reason;
        }
    }

    public ExternalTool Tool { get; }
}
