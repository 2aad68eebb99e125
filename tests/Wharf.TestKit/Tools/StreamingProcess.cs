using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Wharf.TestKit.Tools;

/// <summary>
/// A long-running client (a group member) whose output the test reads while it runs: stdout and stderr lines are
/// collected as they arrive, <see cref="WaitUntilAsync"/> wakes on each new line, <see cref="StopAsync"/> closes stdin
/// and sends SIGTERM (a clean consumer close), and dispose kills the process tree if it is still there — so every child
/// is bounded.
/// Thread-safety: line lists are guarded by a lock; start, stop and dispose from the test thread.
/// </summary>
public sealed class StreamingProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private int _disposed;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private StreamingProcess(Process process, string command)
    {
        _process = process;
        Command = command;
    }

    public string Command { get; }

    public IReadOnlyList<string> StandardOutput
    {
        get
        {
            lock (_lock)
            {
                return [.. _stdout];
            }
        }
    }

    public IReadOnlyList<string> StandardError
    {
        get
        {
            lock (_lock)
            {
                return [.. _stderr];
            }
        }
    }

    /// <summary>Completes at the next line on either stream, or when the process exits.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    public bool HasExited => _process.HasExited;

    public static StreamingProcess Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        if (workingDirectory is not null)
        {
            startInfo.WorkingDirectory = workingDirectory;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var streaming = new StreamingProcess(process, fileName + " " + string.Join(' ', startInfo.ArgumentList));
        process.OutputDataReceived += (_, e) => streaming.Add(streaming._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => streaming.Add(streaming._stderr, e.Data);
        process.Exited += (_, _) => streaming.Signal();
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"could not start `{streaming.Command}`: {e.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return streaming;
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking whenever one of the processes prints or exits.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, params StreamingProcess[] processes)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new Xunit.Sdk.XunitException($"Timed out waiting for {what}.\n" + string.Join("\n", processes.Select(p => p.Describe())));
            }

            await Task.WhenAny([.. processes.Select(p => p.Changed), Task.Delay(left)]);
        }
    }

    /// <summary>Closes stdin and sends SIGTERM; kills the tree if the process has not exited within <paramref name="grace"/>.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (Volatile.Read(ref _disposed) == 1)
        {
            return -1;
        }

        if (!_process.HasExited)
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // Already gone.
            }

            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
            kill?.WaitForExit(5000);
        }

        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        return _process.ExitCode;
    }

    public string Describe() => $"`{Command}`\n--- stdout ---\n{string.Join('\n', StandardOutput.TakeLast(40))}\n--- stderr ---\n{string.Join('\n', StandardError.TakeLast(40))}";

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }

    private void Add(List<string> lines, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            lines.Add(line);
        }

        Signal();
    }

    private void Signal() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
