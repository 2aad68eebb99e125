using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Wharf.Storage.Tests;

/// <summary>
/// A fact that needs a real, small tmpfs to fill up (root on Linux, allowed to mount). Where none can be mounted the
/// test is reported skipped with the reason, never passed; <see cref="DiskFaultTests"/> covers the same paths through
/// injected faults everywhere.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresTmpfsFactAttribute : FactAttribute
{
    public RequiresTmpfsFactAttribute()
    {
        if (WhyNot() is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? WhyNot()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "mounting a tmpfs needs Linux";
        }

        if (geteuid() != 0)
        {
            return "mounting a tmpfs needs root";
        }

        var probe = Path.Combine(Path.GetTempPath(), "wharf-tmpfs-probe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(probe);
        try
        {
            if (!Run("mount", $"-t tmpfs -o size=64k tmpfs {probe}", out var error))
            {
                return $"cannot mount a tmpfs here: {error.Trim()}";
            }

            Run("umount", probe, out _);
            return null;
        }
        finally
        {
            Directory.Delete(probe);
        }
    }

    internal static bool Run(string file, string arguments, out string error)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }

    [DllImport("libc")]
    private static extern uint geteuid();
}
