using Xunit.Sdk;

namespace Wharf.TestKit.Tools;

/// <summary>The <see cref="TheoryAttribute"/> twin of <see cref="RequiresToolFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("Xunit.Sdk.TheoryDiscoverer", "xunit.execution.{Platform}")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresToolTheoryAttribute : TheoryAttribute
{
    public RequiresToolTheoryAttribute(params ExternalTool[] tools)
    {
        Tools = tools;
        Skip = ExternalTools.SkipReason(tools);
    }

    public IReadOnlyList<ExternalTool> Tools { get; }
}
