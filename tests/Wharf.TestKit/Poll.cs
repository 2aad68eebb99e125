namespace Wharf.TestKit;

/// <summary>
/// Waiting for a state the test cannot be told about (no event to await): the condition is re-checked every 10 ms
/// until it holds or the limit passes. Thread-safety: stateless.
/// </summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    /// <summary>True once <paramref name="condition"/> holds; false when <paramref name="limit"/> passes first.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(Interval);
        }

        return true;
    }

    /// <summary>Returns once <paramref name="condition"/> holds; throws naming <paramref name="what"/> when <paramref name="limit"/> passes first.</summary>
    /// <exception cref="TimeoutException">The condition did not hold in time.</exception>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        if (!await UntilAsync(condition, limit))
        {
            throw new TimeoutException($"{what} did not happen within {limit.TotalSeconds:0.#} s");
        }
    }
}
