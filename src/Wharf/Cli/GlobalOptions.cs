using System.CommandLine;

namespace Wharf.Cli;

/// <summary>How a command prints its result.</summary>
internal enum OutputFormat
{
    /// <summary>Aligned columns with UPPER-CASE headers, for people.</summary>
    Table,

    /// <summary>One JSON document with stable snake_case field names, for scripts.</summary>
    Json,
}

/// <summary>
/// Options every admin command accepts, anywhere after its noun (each noun adds them, recursively).
/// Thread-safety: immutable after start-up.
/// </summary>
internal static class GlobalOptions
{
    public const string BootstrapVariable = "WHARF_BOOTSTRAP";
    public const string DefaultBootstrap = "127.0.0.1:9092";

    public static readonly Option<string> Bootstrap = new("--bootstrap", "-b")
    {
        Description = $"bootstrap servers, host:port[,host:port...] (env {BootstrapVariable})",
        HelpName = "host:port",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(BootstrapVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : DefaultBootstrap,
    };

    /// <summary>Adds the shared options to a noun (<c>topic</c>, <c>group</c>, ...) so all its verbs take them.</summary>
    public static Command WithGlobalOptions(this Command noun)
    {
        noun.Add(Bootstrap);
        noun.Add(Format);
        return noun;
    }

    /// <summary>Adds only <c>--bootstrap</c>: for a command whose <c>--format</c> means something else (consume's template).</summary>
    public static Command WithBootstrapOption(this Command command)
    {
        command.Add(Bootstrap);
        return command;
    }

    public static readonly Option<OutputFormat> Format = new("--format")
    {
        Description = "output format",
        HelpName = "table|json",
        Recursive = true,
        DefaultValueFactory = _ => OutputFormat.Table,
    };
}
