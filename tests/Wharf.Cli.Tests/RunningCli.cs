using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Wharf.Cli.Tests;

/// <summary>
/// A wharf process still running: its stdout lines as they come, a signal to stop it, its exit. Disposing kills it
/// (by its own process id) if it is still running. Thread-safety: one test drives it.
/// </summary>
public sealed class RunningCli : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Task<string> _stderr;
    private readonly Task _stdout;

    internal RunningCli(Process process)
    {
        _process = process;
        _process.StandardInput.Close();
        _stderr = process.StandardError.ReadToEndAsync();
        _stdout = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                await _lines.Writer.WriteAsync(line);
            }

            _lines.Writer.Complete();
        });
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The next stdout line; throws when none comes within <paramref name="timeout"/> or the process ended.</summary>
    public async Task<string> ReadLineAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            return await _lines.Reader.ReadAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no line on stdout within {timeout}");
        }
    }

    /// <summary>Sends a POSIX signal (SIGINT 2, SIGTERM 15) to the process.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for the exit; the remaining stdout lines and stderr come with it.</summary>
    public async Task<CliRun> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"wharf did not exit within {timeout}");
        }

        await _stdout;
        var rest = new List<string>();
        while (_lines.Reader.TryRead(out var line))
        {
            rest.Add(line);
        }

        return new CliRun(_process.ExitCode, string.Concat(rest.Select(l => l + "\n")), await _stderr);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
