using Microsoft.Extensions.Logging;

namespace Wharf.Storage.Tests;

/// <summary>A logger factory whose loggers count entries per level (to check that a failure is logged once, loudly).</summary>
internal sealed class CountingLoggerFactory : ILoggerFactory, ILogger
{
    private readonly int[] _counts = new int[(int)LogLevel.None + 1];

    /// <summary>Entries logged at <paramref name="level"/> so far.</summary>
    public int Count(LogLevel level) => Volatile.Read(ref _counts[(int)level]);

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Interlocked.Increment(ref _counts[(int)logLevel]);

    public void Dispose()
    {
    }
}
