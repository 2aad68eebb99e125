using System.Diagnostics;

namespace Wharf.Cli;

/// <summary>
/// A one-line progress display on a terminal (rewritten in place with a carriage return), for long-running commands.
/// Shown only when <see cref="Enabled"/> (the stream is a terminal, not redirected), and only once the work has taken
/// longer than <see cref="Delay"/>, so short runs and pipes print nothing extra. Updates are throttled.
/// Thread-safety: one thread calls <see cref="Update"/> and <see cref="Clear"/>.
/// </summary>
internal sealed class StatusLine(TextWriter writer, bool enabled)
{
    public static readonly TimeSpan Delay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private TimeSpan _lastShown = TimeSpan.Zero;
    private int _width;

    public bool Enabled { get; } = enabled;

    /// <summary>On stderr, when stderr is a terminal.</summary>
    public static StatusLine OnStandardError() => new(Console.Error, !Console.IsErrorRedirected);

    /// <summary>Shows <paramref name="text"/> (built only when it will be shown).</summary>
    public void Update(Func<string> text)
    {
        var now = _elapsed.Elapsed;
        if (!Enabled || now < Delay || now - _lastShown < Interval)
        {
            return;
        }

        _lastShown = now;
        var line = text();
        writer.Write($"\r{line.PadRight(_width)}");
        writer.Flush();
        _width = line.Length;
    }

    /// <summary>Erases the line, so what the command prints next starts on a clean line.</summary>
    public void Clear()
    {
        if (_width > 0)
        {
            writer.Write($"\r{new string(' ', _width)}\r");
            writer.Flush();
            _width = 0;
        }
    }
}
