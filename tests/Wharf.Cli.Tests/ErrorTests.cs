namespace Wharf.Cli.Tests;

/// <summary>Every failure is one <c>wharf: ...</c> line on stderr and a non-zero exit code, never a stack trace.</summary>
public sealed class ErrorTests
{
    [Fact]
    public async Task DescribeUnknownTopic_FailsWithOneLineNamingTheTopic()
    {
        await using var broker = await WharfBroker.StartAsync();

        var run = await WharfCli.RunAsync("topic", "describe", "no-such-topic", "-b", broker.BootstrapServers);

        AssertOneLineError(run, "no-such-topic");
    }

    [Fact]
    public async Task MalformedFlagValue_FailsWithOneLine()
    {
        var run = await WharfCli.RunAsync("topic", "create", "t", "-p", "many");

        AssertOneLineError(run, "many");
        Assert.Equal(2, run.ExitCode);
    }

    [Fact]
    public async Task UnknownFlag_FailsWithOneLine()
    {
        var run = await WharfCli.RunAsync("topic", "list", "--no-such-flag");

        AssertOneLineError(run, "--no-such-flag");
    }

    [Fact]
    public async Task ConfigWithoutEquals_FailsWithOneLine()
    {
        var run = await WharfCli.RunAsync("topic", "create", "t", "-c", "retention.ms", "-b", "127.0.0.1:1");

        AssertOneLineError(run, "key=value");
    }

    [Fact]
    public async Task UnreachableBroker_FailsWithinTheTimeoutWithOneLine()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();

        var run = await WharfCli.RunAsync("topic", "list", "-b", "127.0.0.1:1");

        AssertOneLineError(run, "127.0.0.1:1");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Version_PrintsTheVersion()
    {
        var run = await WharfCli.RunAsync("--version");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.StartsWith("0.", run.Stdout.Trim(), StringComparison.Ordinal);
    }

    internal static void AssertOneLineError(CliRun run, string mention)
    {
        Assert.True(run.ExitCode != 0, run.ToString());
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("wharf: ", line, StringComparison.Ordinal);
        Assert.Contains(mention, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr + run.Stdout, StringComparison.Ordinal);
    }
}
