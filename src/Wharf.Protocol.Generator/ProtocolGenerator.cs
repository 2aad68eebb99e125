using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Wharf.Protocol.Generator;

/// <summary>
/// Incremental generator: every <c>*.wdef</c> AdditionalFile becomes <c>&lt;Api&gt;.g.cs</c> (request and response
/// types), and all of them together become <c>ApiCatalog.g.cs</c>. A file that does not parse is a
/// compile error (WHARF001) at its line.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class ProtocolGenerator : IIncrementalGenerator
{
    private static readonly DiagnosticDescriptor InvalidDefinition = new(
        "WHARF001",
        "Invalid protocol definition",
        "{0}",
        "Wharf.Protocol",
        DiagnosticSeverity.Error,
        isEnabledByDefault: true);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.AdditionalTextsProvider
            .Where(file => file.Path.EndsWith(".wdef", StringComparison.OrdinalIgnoreCase))
            .Select((file, cancellation) => Generate(file.Path, file.GetText(cancellation)?.ToString() ?? string.Empty));

        context.RegisterSourceOutput(parsed, (output, result) =>
        {
            if (result.Error is { } error)
            {
                output.ReportDiagnostic(error);
                return;
            }

            output.AddSource(result.Api!.Name + ".g.cs", SourceText.From(result.Source!, Encoding.UTF8));
        });

        context.RegisterSourceOutput(parsed.Collect(), (output, results) =>
        {
            var apis = results.Where(r => r.Api is not null).Select(r => r.Api!).ToList();
            output.AddSource("ApiCatalog.g.cs", SourceText.From(CatalogEmitter.Emit(apis), Encoding.UTF8));
        });
    }

    private static Result Generate(string path, string text)
    {
        try
        {
            var api = DefinitionParser.Parse(text);
            return new Result(api, MessageEmitter.Emit(api), null);
        }
        catch (DefinitionException e)
        {
            var position = new LinePosition(e.Line - 1, 0);
            var location = Location.Create(path, new TextSpan(0, 0), new LinePositionSpan(position, position));
            return new Result(null, null, Diagnostic.Create(InvalidDefinition, location, $"{Path.GetFileName(path)}({e.Line}): {e.Message}"));
        }
    }

    private sealed class Result
    {
        public Result(ApiDefinition? api, string? source, Diagnostic? error)
        {
            Api = api;
            Source = source;
            Error = error;
        }

        public ApiDefinition? Api { get; }

        public string? Source { get; }

        public Diagnostic? Error { get; }
    }
}
