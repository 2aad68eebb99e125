using System.Diagnostics;

namespace Wharf.LoadGen.Servers;

/// <summary>
/// How each system under test is started: the release build of <c>wharf start</c>, Debian's <c>nats-server</c>
/// (JetStream, file store) and <c>redis-server</c> (AOF), each on a free 127.0.0.1 port with a fresh data directory
/// under the scratch directory given. Builds Wharf and installs the Debian packages when they are missing.
/// </summary>
public static class Servers
{
    /// <summary>Wharf with <c>log.flush.mode</c> = <c>interval</c> (lazy) or <c>ack</c> (strict).</summary>
    public static Task<ServerProcess> StartWharfAsync(string wharfDll, string scratch, string flushMode, IReadOnlyList<string> environment)
    {
        var port = ServerProcess.FreePort();
        var data = FreshDirectory(scratch, $"wharf-{flushMode}");
        string[] arguments =
        [
            wharfDll, "start",
            "--set", $"listeners=PLAINTEXT://127.0.0.1:{port}",
            "--set", $"http.listeners=http://127.0.0.1:{ServerProcess.FreePort()}",
            "--set", $"log.dirs={data}",
            "--set", $"log.flush.mode={flushMode}",
        ];
        return ServerProcess.StartAsync("wharf", "dotnet", arguments, port, data, line => line.Contains("ready in", StringComparison.Ordinal), TimeSpan.FromSeconds(90), environment);
    }

    /// <summary>NATS 2.9 JetStream; its file store fsyncs every 2 minutes and cannot be made stricter in 2.9.</summary>
    public static Task<ServerProcess> StartNatsAsync(string scratch)
    {
        var port = ServerProcess.FreePort();
        var data = FreshDirectory(scratch, "nats");
        string[] arguments = ["-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-js", "-sd", data];
        return ServerProcess.StartAsync("nats", "nats-server", arguments, port, data, line => line.Contains("Server is ready", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
    }

    /// <summary>Redis with AOF, <c>appendfsync</c> = <c>everysec</c> (lazy) or <c>always</c> (strict); no RDB or rewrite forks.</summary>
    public static Task<ServerProcess> StartRedisAsync(string scratch, string appendFsync)
    {
        var port = ServerProcess.FreePort();
        var data = FreshDirectory(scratch, $"redis-{appendFsync}");
        string[] arguments =
        [
            "--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dir", data,
            "--appendonly", "yes", "--appendfsync", appendFsync, "--save", "", "--auto-aof-rewrite-percentage", "0",
            "--daemonize", "no", "--protected-mode", "yes",
        ];
        return ServerProcess.StartAsync("redis", "redis-server", arguments, port, data, line => line.Contains("Ready to accept connections", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
    }

    /// <summary>The repository root (the folder holding Wharf.slnx), found upwards from this tool's output.</summary>
    public static string RepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Wharf.slnx")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new InvalidOperationException("Wharf.slnx not found above this tool or the current directory");
    }

    /// <summary>
    /// src/Wharf/bin/Release/net10.0/wharf.dll, built first when it is missing or older than any broker source file
    /// (so a stale binary is never measured).
    /// </summary>
    public static string EnsureWharfBuilt(string root, Action<string> log)
    {
        var dll = Path.Combine(root, "src", "Wharf", "bin", "Release", "net10.0", "wharf.dll");
        var newestSource = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".csproj", StringComparison.Ordinal) || f.EndsWith(".wdef", StringComparison.Ordinal))
            .Select(File.GetLastWriteTimeUtc)
            .DefaultIfEmpty(DateTime.MinValue)
            .Max();
        if (File.Exists(dll) && File.GetLastWriteTimeUtc(dll) >= newestSource)
        {
            return dll;
        }

        log($"building {Path.Combine("src", "Wharf")} (Release): {(File.Exists(dll) ? "sources are newer than wharf.dll" : "wharf.dll is missing")}");
        if (!Run("dotnet", ["build", "-c", "Release", Path.Combine(root, "src", "Wharf", "Wharf.csproj"), "-v", "q", "-nologo"], log, throwOnFailure: !File.Exists(dll)))
        {
            log($"WARNING: the build failed; measuring the existing wharf.dll of {File.GetLastWriteTimeUtc(dll):u}");
        }

        return File.Exists(dll) ? dll : throw new FileNotFoundException("the Release build produced no wharf.dll", dll);
    }

    /// <summary>Installs Debian's nats-server and redis-server with apt-get when they are not on the PATH.</summary>
    public static void EnsurePackages(IEnumerable<string> commands, Action<string> log)
    {
        var missing = commands.Where(c => !OnPath(c)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        log($"installing {string.Join(", ", missing)} with apt-get");
        if (!Run("apt-get", ["install", "-y", .. missing], log, throwOnFailure: false))
        {
            Run("apt-get", ["update"], log);
            Run("apt-get", ["install", "-y", .. missing], log);
        }
    }

    /// <summary>Writes dirty pages back and drops the page cache (root only); false when not allowed.</summary>
    public static bool DropPageCache(Action<string> log)
    {
        Run("sync", [], log, throwOnFailure: false);
        try
        {
            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log($"could not drop the page cache: {e.Message}");
            return false;
        }
    }

    private static string FreshDirectory(string scratch, string name)
    {
        var path = Path.Combine(scratch, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 9)]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/usr/bin")
            .Any(directory => File.Exists(Path.Combine(directory, command)));

    private static bool Run(string fileName, string[] arguments, Action<string> log, bool throwOnFailure = true)
    {
        var info = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var message = $"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Result}{error.Result}";
            if (throwOnFailure)
            {
                throw new InvalidOperationException(message);
            }

            log(message.Length > 4000 ? message[^4000..] : message);
            return false;
        }

        return true;
    }
}
