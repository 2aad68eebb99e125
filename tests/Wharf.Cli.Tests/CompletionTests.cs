using Wharf.TestKit.Tools;

namespace Wharf.Cli.Tests;

public sealed class CompletionTests
{
    [Fact]
    public async Task SuggestDirective_CompletesACommandFromItsPrefix()
    {
        var run = await WharfCli.RunAsync("[suggest:8]", "wharf to");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["topic"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task SuggestDirective_ListsAVerbsOptions()
    {
        var run = await WharfCli.RunAsync("[suggest:20]", "wharf consume t --fr");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["--from"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task BashScript_IsValidBash()
    {
        var script = await WharfCli.RunAsync("completion", "bash");
        Assert.True(script.ExitCode == 0, script.ToString());

        var check = await BashAsync("bash", ["-n"], script.Stdout);

        Assert.True(check.ExitCode == 0, check.ToString());
    }

    [Fact]
    public async Task BashScript_CompletesThroughTheInstalledWharf()
    {
        var script = await WharfCli.RunAsync("completion", "bash");

        // `wharf` as a user runs it: here a shell function that launches the built executable.
        var test = $"wharf() {{ dotnet '{WharfCli.DllPath}' \"$@\"; }}\n" + script.Stdout + """
            COMP_LINE='wharf group de'
            COMP_POINT=${#COMP_LINE}
            COMP_WORDS=(wharf group de)
            COMP_CWORD=2
            _wharf_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """;

        var run = await BashAsync("bash", [], test);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["delete", "describe"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [RequiresToolFact(ExternalTool.Zsh)]
    public async Task ZshScript_IsValidZsh_AndCompletesThroughTheInstalledWharf()
    {
        ExternalTools.Require(ExternalTool.Zsh);
        var script = await WharfCli.RunAsync("completion", "zsh");
        Assert.True(script.ExitCode == 0, script.ToString());
        var check = await BashAsync(ExternalTools.Zsh, ["-n"], script.Stdout);
        Assert.True(check.ExitCode == 0, check.ToString());

        // Outside an interactive completion: compdef and compadd are stood in for, the widget's variables set by hand.
        var test = $"wharf() {{ dotnet '{WharfCli.DllPath}' \"$@\"; }}\ncompdef() {{ : }}\ncompadd() {{ shift; print -l -- \"$@\"; }}\n" + script.Stdout + """
            words=(wharf group de)
            BUFFER='wharf group de'
            CURSOR=${#BUFFER}
            _wharf
            """;

        var run = await BashAsync(ExternalTools.Zsh, [], test);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["delete", "describe"], run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Completion_ForAnUnknownShell_IsAUsageError()
    {
        var run = await WharfCli.RunAsync("completion", "fish");

        ErrorTests.AssertOneLineError(run, "fish");
        Assert.Equal(2, run.ExitCode);
    }

    /// <summary>Runs <paramref name="shell"/> with <paramref name="stdin"/> as its script (at most 60 s).</summary>
    private static async Task<CliRun> BashAsync(string shell, string[] arguments, string stdin)
    {
        var result = await ChildProcess.RunAsync(shell, arguments, standardInput: stdin, timeout: TimeSpan.FromSeconds(60));
        return new CliRun(result.ExitCode, result.StandardOutput, result.StandardError);
    }
}
