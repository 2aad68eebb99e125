namespace Wharf.Fault.Tests.Infrastructure;

/// <summary>Waits on a condition with a deadline, re-checking it every 20 ms; never a fixed sleep in its place.</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new Xunit.Sdk.XunitException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }
}
