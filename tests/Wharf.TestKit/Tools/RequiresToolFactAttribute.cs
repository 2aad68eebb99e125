using Xunit.Sdk;

namespace Wharf.TestKit.Tools;

/// <summary>
/// A <see cref="FactAttribute"/> that is skipped when one of its tools is missing, except under
/// <c>CI=true</c>: there it runs, and the test's first line (<see cref="ExternalTools.Require"/>) fails with a
/// message naming the missing tool.
/// </summary>
[XunitTestCaseDiscoverer("Xunit.Sdk.FactDiscoverer", "xunit.execution.{Platform}")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresToolFactAttribute : FactAttribute
{
    public RequiresToolFactAttribute(params ExternalTool[] tools)
    {
        Tools = tools;
        Skip = ExternalTools.SkipReason(tools);
    }

    public IReadOnlyList<ExternalTool> Tools { get; }
}
