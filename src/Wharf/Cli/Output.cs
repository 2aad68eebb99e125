using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Wharf.Cli;

/// <summary>
/// Prints command results: JSON (snake_case field names, indented, nulls kept so fields are stable) or borderless
/// tables with UPPER-CASE headers, never wrapped, so they stay greppable when redirected. Thread-safety: stateless.
/// </summary>
internal static class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static bool IsJson(ParseResult parsed) => parsed.GetValue(GlobalOptions.Format) == OutputFormat.Json;

    public static void Json<T>(T value) => System.Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOptions));

    /// <summary>Prints <paramref name="items"/> as JSON (an array) or as a table of <paramref name="row"/>s.</summary>
    public static void List<T>(ParseResult parsed, IReadOnlyList<T> items, string[] headers, Func<T, string[]> row)
    {
        if (IsJson(parsed))
        {
            Json(items);
        }
        else
        {
            Table(headers, items.Select(row));
        }
    }

    public static void Table(string[] headers, IEnumerable<string[]> rows)
    {
        var table = new Table { Border = TableBorder.None, ShowHeaders = true };
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header)) { Padding = new Padding(0, 0, 2, 0), NoWrap = true });
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => new Text(cell)));
        }

        // Spectre pads every cell to its column's width, the last one too; drop that trailing space per line.
        var rendered = new StringWriter();
        var console = CreateConsole(rendered);
        console.Write(table);
        foreach (var line in rendered.ToString().Split('\n'))
        {
            if (line.Length > 0)
            {
                System.Console.Out.WriteLine(line.TrimEnd());
            }
        }
    }

    /// <summary>A section title between the tables of a describe command.</summary>
    public static void Section(string title, bool first = false)
    {
        if (!first)
        {
            System.Console.Out.WriteLine();
        }

        System.Console.Out.WriteLine(title);
    }

    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 4096;
        return console;
    }
}
