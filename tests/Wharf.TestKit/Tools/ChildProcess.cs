using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Wharf.TestKit.Tools;

/// <summary>What a finished child process left behind.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Fails the test (with both streams) unless the process exited with 0; returns this for chaining.</summary>
    public ProcessResult EnsureSuccess()
    {
        if (ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException(
                $"`{Command}` exited with {ExitCode}.\n--- stderr ---\n{StandardError}\n--- stdout ---\n{StandardOutput}");
        }

        return this;
    }

    /// <summary>Non-empty stdout lines, in order.</summary>
    public IReadOnlyList<string> Lines => StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
}

/// <summary>
/// Runs a real client as a child process, bounded by a timeout: on timeout (or cancellation) the whole process
/// tree is killed and the test fails with whatever the child wrote to stderr/stdout so far.
/// Thread-safety: stateless; each call owns its process.
/// </summary>
public static class ChildProcess
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(45);

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string? standardInput = null,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        };
        if (workingDirectory is not null)
        {
            startInfo.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        var command = fileName + " " + string.Join(' ', startInfo.ArgumentList.Select(Quote));
        using var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"could not start `{command}`: {e.Message}");
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? DefaultTimeout;
        using var cts = new CancellationTokenSource(limit);
        try
        {
            if (standardInput is not null)
            {
                await process.StandardInput.WriteAsync(standardInput.AsMemory(), cts.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            if (e is OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException(
                    $"`{command}` did not finish within {limit.TotalSeconds:0}s and was killed.\n--- stderr ---\n{await stderr}\n--- stdout ---\n{await stdout}");
            }

            // The child closed stdin early (it failed before reading it): report how it exited instead.
            await process.WaitForExitAsync(CancellationToken.None);
        }

        return new ProcessResult(command, process.ExitCode, await stdout, await stderr);
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/' or ':' or '=' or ',')
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
