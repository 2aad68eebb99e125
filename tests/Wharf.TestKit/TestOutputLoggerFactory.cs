using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Wharf.TestKit;

/// <summary>
/// Writes log entries at <paramref name="minimum"/> and above to a test's output, so a failure in CI shows what the
/// code under test logged. Entries after the test has finished are dropped.
/// </summary>
public sealed class TestOutputLoggerFactory(ITestOutputHelper output, string source, LogLevel minimum = LogLevel.Warning) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new TestOutputLogger(output, source, categoryName, minimum);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class TestOutputLogger(ITestOutputHelper output, string source, string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} [{source} {logLevel}] {category}: {formatter(state, exception)}{(exception is null ? string.Empty : "\n" + exception)}");
            }
            catch (InvalidOperationException)
            {
                // The test has already finished; its output is closed.
            }
        }
    }
}
