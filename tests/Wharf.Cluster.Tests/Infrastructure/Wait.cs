namespace Wharf.Cluster.Tests.Infrastructure;

/// <summary>Waits on a condition with a deadline, re-checking it every 100 ms; never a fixed sleep in its place.</summary>
public static class Wait
{
    /// <summary>Returns once <paramref name="condition"/> holds; fails with <paramref name="what"/> (and the last state) after the timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, Func<string>? lastState = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TestClusters.WaitLimit;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}.{(lastState is null ? string.Empty : " Last seen: " + lastState())}");
            }

            await Task.Delay(100);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, Func<string>? lastState = null, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, lastState, timeout);
}
