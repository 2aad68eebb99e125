using System.CommandLine;

namespace Wharf.Cli.Completion;

/// <summary>
/// <c>wharf completion bash|zsh</c>: prints a completion script to source from the shell's rc file. The script asks
/// wharf itself for candidates through System.CommandLine's <c>[suggest:POSITION]</c> directive, passing the line
/// being edited and the cursor position, so completions always match the installed version's commands and options.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("SHELL") { Description = "the shell to complete in" }.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command(
            "completion",
            "Print a shell completion script: add 'source <(wharf completion bash)' to ~/.bashrc, or " +
            "'source <(wharf completion zsh)' to ~/.zshrc after compinit")
        {
            shell,
        };
        command.SetAction(parsed =>
        {
            Console.Out.Write(parsed.GetRequiredValue(shell) == "zsh" ? Zsh : Bash);
            return 0;
        });
        return command;
    }

    private const string Bash = """
        # bash completion for wharf. Load it with: source <(wharf completion bash)
        _wharf_complete()
        {
            local IFS=$'\n'
            COMPREPLY=( $("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null) )
        }
        complete -o default -F _wharf_complete wharf

        """;

    private const string Zsh = """
        #compdef wharf
        # zsh completion for wharf. Load it after compinit with: source <(wharf completion zsh)
        _wharf()
        {
            local -a candidates
            candidates=("${(@f)$("${words[1]}" "[suggest:${CURSOR}]" "${BUFFER}" 2>/dev/null)}")
            compadd -- "${candidates[@]}"
        }
        compdef _wharf wharf

        """;
}
