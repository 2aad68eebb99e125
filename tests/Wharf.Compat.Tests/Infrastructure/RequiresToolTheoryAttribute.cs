using Xunit.Sdk;

namespace Wharf.Compat.Tests.Infrastructure;

/// <summary>The <see cref="TheoryAttribute"/> twin of <see cref="RequiresToolFactAttribute"/>.</summary>
[XunitTestCaseDiscoverer("Xunit.Sdk.TheoryDiscoverer", "xunit.execution.{Platform}")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresToolTheoryAttribute : TheoryAttribute
{
    public RequiresToolTheoryAttribute(ExternalTool tool)
    {
        Tool = tool;
        if (!ExternalTools.IsCi && ExternalTools.MissingReason(tool) is { } reason)
        {
            Skip = reason;
        }
    }

    public ExternalTool Tool { get; }
}
