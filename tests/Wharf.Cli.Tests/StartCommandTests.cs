using Wharf.Testing;

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

    [Fact]
    public async Task Start_PrintsTheBannerFirst_AndOneReadyLineWithWhatWasLoaded()
    {
        await using var broker = await WharfBrokerProcess.StartSingleAsync();

        // The harness heads the captured output with its own "=== broker 1 started" line.
        var output = broker.Output.Where(l => !l.StartsWith("===", StringComparison.Ordinal)).ToList();
        Assert.StartsWith("Wharf ", output[0], StringComparison.Ordinal);
        Assert.Contains("single node", output[0], StringComparison.Ordinal);
        var ready = Assert.Single(output, l => l.StartsWith("Broker ready in ", StringComparison.Ordinal));
        Assert.Contains("0 topic(s)", ready, StringComparison.Ordinal);
        Assert.Contains($"kafka {broker.BootstrapServers}", ready, StringComparison.Ordinal);
        Assert.DoesNotContain(output, l => l.Contains("warn", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task StartHelp_ListsTheCommonKeysWithTheirDefaults()
    {
        var run = await WharfCli.RunAsync("start", "--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var (key, value) in new[] { ("listeners", "PLAINTEXT://127.0.0.1:9092"), ("log.dirs", "./wharf-data"), ("log.retention.ms", "1209600000"), ("http.listeners", "http://127.0.0.1:9644") })
        {
            Assert.Contains(run.Stdout.Split('\n'), line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var k, var v, ..] && k == key && v == value);
        }
    }
}
