using System.Globalization;

namespace Wharf.Cli.Consume;

/// <summary>Where <c>wharf consume --from</c> starts reading each partition.</summary>
internal abstract record StartPosition
{
    public const string Syntax = "beginning, end, an offset (e.g. 42), @UNIX_MS (e.g. @1700000000000) or an ISO-8601 time (e.g. 2026-01-31T12:00:00Z)";

    /// <summary>The log start offset.</summary>
    public sealed record Beginning : StartPosition;

    /// <summary>The log end offset: only records produced from now on.</summary>
    public sealed record End : StartPosition;

    /// <summary>This offset in every partition read.</summary>
    public sealed record Exact(long Offset) : StartPosition;

    /// <summary>The first record whose timestamp is at or after this time (the log end when there is none).</summary>
    public sealed record Time(DateTimeOffset At) : StartPosition;

    /// <summary>
    /// Parses <c>beginning</c>/<c>start</c>/<c>earliest</c>, <c>end</c>/<c>latest</c>, a non-negative offset,
    /// <c>@</c> followed by milliseconds since the Unix epoch, or an ISO-8601 date-time (UTC unless it has an offset).
    /// </summary>
    public static bool TryParse(string text, out StartPosition? position)
    {
        position = text switch
        {
            "beginning" or "start" or "earliest" => new Beginning(),
            "end" or "latest" => new End(),
            _ when long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) => new Exact(offset),
            ['@', .. var millis] when long.TryParse(millis, NumberStyles.None, CultureInfo.InvariantCulture, out var unixMs) && unixMs <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() =>
                new Time(DateTimeOffset.FromUnixTimeMilliseconds(unixMs)),
            _ when text.Contains('-', StringComparison.Ordinal) && DateTimeOffset.TryParse(
                text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) => new Time(at),
            _ => null,
        };
        return position is not null;
    }
}
