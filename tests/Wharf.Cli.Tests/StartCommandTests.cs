namespace Wharf.Cli.Tests;

/// <summary><c>wharf start</c> keeps its own options and error reporting under the command-line parser.</summary>
public sealed class StartCommandTests
{
    [Fact]
    public async Task Start_WithAnUnknownSetting_FailsWithOneLineNamingTheKey()
    {
        var run = await WharfCli.RunAsync("start", "--set", "no.such.key=1");

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("wharf: ", line, StringComparison.Ordinal);
        Assert.Contains("no.such.key", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAnUnexpectedArgument_FailsWithOneLine()
    {
        var run = await WharfCli.RunAsync("start", "extra");

        Assert.Equal(2, run.ExitCode);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("extra", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoArguments_PrintsHelpListingTheCommands()
    {
        var run = await WharfCli.RunAsync();

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("start", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("topic", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("group", run.Stdout, StringComparison.Ordinal);
    }
}
