namespace Wharf.Testing.Faults;

/// <summary>
/// What a <see cref="FaultNetwork"/> does to the bytes travelling one way over a link (<c>from → to</c>), on every
/// connection between the two ends whoever opened it. <see cref="Pass"/> forwards them as they come. Immutable.
/// <list type="bullet">
/// <item><see cref="Blackholed"/>: nothing is forwarded and nothing is closed; the bytes are held (then the sender's
/// socket buffers fill) until the rule changes, as a partition that TCP retransmits across.</item>
/// <item><see cref="Reset"/>: every connection on the link is reset (RST) now, and every new one as soon as it is
/// known to belong to the link.</item>
/// <item><see cref="Delay"/>: every chunk is forwarded this long after it arrived (latency, not a bandwidth cap).</item>
/// <item><see cref="HeldApiKey"/>: Kafka request frames of this API key wait <see cref="HoldFor"/> more; the frames
/// behind them on the same connection wait too (a connection keeps its order). Only Kafka proxies see frames.</item>
/// </list>
/// </summary>
public sealed record LinkRule
{
    public static LinkRule Pass { get; } = new();

    public static LinkRule Blackhole { get; } = new() { Blackholed = true };

    public static LinkRule ResetConnections { get; } = new() { Reset = true };

    public bool Blackholed { get; init; }

    public bool Reset { get; init; }

    public TimeSpan Delay { get; init; }

    public short? HeldApiKey { get; init; }

    public TimeSpan HoldFor { get; init; }

    public bool IsPass => this == Pass;

    public static LinkRule Delayed(TimeSpan delay) => new() { Delay = delay };

    /// <summary>Holds Kafka request frames of <paramref name="apiKey"/> for <paramref name="holdFor"/> (e.g. EndTxn, 26).</summary>
    public static LinkRule Hold(short apiKey, TimeSpan holdFor) => new() { HeldApiKey = apiKey, HoldFor = holdFor };

    /// <summary>How much longer than <see cref="Delay"/> a request frame of <paramref name="apiKey"/> waits.</summary>
    public TimeSpan ExtraDelayFor(short apiKey) => HeldApiKey == apiKey ? HoldFor : TimeSpan.Zero;

    public override string ToString() =>
        IsPass ? "pass"
        : Blackholed ? "blackhole"
        : Reset ? "reset"
        : HeldApiKey is { } key ? $"hold api {key} {HoldFor.TotalMilliseconds:0} ms" + (Delay > TimeSpan.Zero ? $", delay {Delay.TotalMilliseconds:0} ms" : string.Empty)
        : $"delay {Delay.TotalMilliseconds:0} ms";
}
