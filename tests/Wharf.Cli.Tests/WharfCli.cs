using System.Diagnostics;
using System.Text.Json;
using Wharf.TestKit.Tools;

namespace Wharf.Cli.Tests;

/// <summary>What one run of the CLI printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json() => JsonDocument.Parse(Stdout).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the built <c>wharf.dll</c> (src/Wharf/bin/&lt;configuration&gt;/net10.0, or <c>$WHARF_DLL</c>) as a process,
/// the way a user does. Thread-safety: stateless; each run is its own process.
/// </summary>
public static class WharfCli
{
    private static readonly Lazy<string> Dll = new(Locate);

    /// <summary>The wharf.dll the runs use.</summary>
    public static string DllPath => Dll.Value;

    public static Task<CliRun> RunAsync(params string[] arguments) => RunWithInputAsync(null, arguments);

    /// <summary>Runs wharf with <paramref name="stdin"/> as its standard input (closed after it; empty when null).</summary>
    public static async Task<CliRun> RunWithInputAsync(string? stdin, params string[] arguments)
    {
        using var process = Process.Start(StartInfo(arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin ?? "");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"wharf {string.Join(' ', arguments)} did not exit within 60 s");
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts wharf without waiting for it, for a command that runs until stopped (<c>consume</c>).</summary>
    public static RunningCli Start(params string[] arguments) => new(Process.Start(StartInfo(arguments))!);

    private static ProcessStartInfo StartInfo(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll.Value);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("WHARF_BOOTSTRAP");
        return start;
    }

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("WHARF_DLL") is { Length: > 0 } configured)
        {
            return configured;
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dll = Path.Combine(ExternalTools.RepositoryRoot, "src", "Wharf", "bin", configuration, "net10.0", "wharf.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"The built wharf.dll was not found (looked at {dll}); build src/Wharf or set WHARF_DLL.");
    }
}
