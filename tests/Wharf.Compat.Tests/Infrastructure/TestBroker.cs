using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Wharf.Compat.Tests.Infrastructure;

/// <summary>Starts an isolated in-process broker per test behind a capturing proxy, with its warnings and errors in the test's output.</summary>
public static class TestBroker
{
    public static Task<CompatBroker> StartAsync(ITestOutputHelper output, IReadOnlyDictionary<string, string>? settings = null) =>
        CompatBroker.StartAsync(output, settings, new TestOutputLoggerFactory(output));

    /// <summary>A unique, valid topic name for one test.</summary>
    public static string TopicName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 249)];

    /// <summary>Writes broker log entries at Warning and above to the test output (ignored after the test ends).</summary>
    private sealed class TestOutputLoggerFactory(ITestOutputHelper output) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new TestOutputLogger(output, categoryName);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class TestOutputLogger(ITestOutputHelper output, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            try
            {
                output.WriteLine($"[broker {logLevel}] {category}: {formatter(state, exception)}{(exception is null ? string.Empty : "\n" + exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test has already finished; its output is closed.
            }
        }
    }
}
