using Wharf.TestKit;
using Xunit.Abstractions;

namespace Wharf.Compat.Tests.Infrastructure;

/// <summary>Starts an isolated in-process broker per test behind a capturing proxy, with its warnings and errors in the test's output.</summary>
public static class TestBroker
{
    public static Task<CompatBroker> StartAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? settings = null) =>
        CompatBroker.StartAsync(output, settings, new TestOutputLoggerFactory(output, "broker"));

    /// <summary>A unique, valid topic name for one test.</summary>
    public static string TopicName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 249)];
}
