using System.Globalization;

namespace Wharf.LoadGen;

/// <summary>
/// CPU time and memory of a Linux process from <c>/proc</c>: utime+stime (all threads) and VmRSS/VmHWM.
/// CPU-µs per message is the stable figure on a shared 2-core machine; wall-clock rates are not.
/// Thread-safety: stateless.
/// </summary>
public static class ProcessStats
{
    // USER_HZ: the unit of utime/stime in /proc/PID/stat. 100 on every Linux build this runs on.
    private const double TicksPerSecond = 100.0;

    /// <summary>utime + stime of <paramref name="pid"/> in seconds (0 if the process is gone).</summary>
    public static double CpuSeconds(int pid) => CpuTimes(pid).Total;

    /// <summary>User and kernel CPU seconds of <paramref name="pid"/> (zeros if the process is gone).</summary>
    public static (double User, double System, double Total) CpuTimes(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return (0, 0, 0);
        }

        // The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
        // What follows starts at field 3 (state); utime and stime are fields 14 and 15.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime / TicksPerSecond, stime / TicksPerSecond, (utime + stime) / TicksPerSecond);
    }

    /// <summary>
    /// CPU seconds of <paramref name="root"/> and every process below it: utime + stime of each live one, plus the
    /// cutime + cstime each holds for children it has already reaped (so a short-lived helper between two readings is
    /// not lost). For servers that run as a tree — RabbitMQ is a shell script whose child is the Erlang VM, with port
    /// programs below that. 0 if <paramref name="root"/> is gone.
    /// </summary>
    public static double TreeCpuSeconds(int root)
    {
        var children = new Dictionary<int, List<int>>();
        var ticks = new Dictionary<int, long>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            // After the last ')': state, ppid, … utime (index 11), stime, cutime, cstime (index 14).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            ticks[pid] = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)
                + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            if (!children.TryGetValue(parent, out var list))
            {
                children[parent] = list = [];
            }

            list.Add(pid);
        }

        long total = 0;
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out var pid))
        {
            total += ticks.GetValueOrDefault(pid);
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                pending.Push(child);
            }
        }

        return total / TicksPerSecond;
    }

    public static double OwnCpuSeconds() => CpuSeconds(Environment.ProcessId);

    /// <summary>Resident set size now, in MiB (VmRSS).</summary>
    public static double RssMiB(int pid) => StatusKiB(pid, "VmRSS:") / 1024.0;

    /// <summary>Peak resident set size since start, in MiB (VmHWM).</summary>
    public static double PeakRssMiB(int pid) => StatusKiB(pid, "VmHWM:") / 1024.0;

    private static long StatusKiB(int pid, string key)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    /// <summary>The 1, 5 and 15 minute load averages, as <c>uptime</c> prints them.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
