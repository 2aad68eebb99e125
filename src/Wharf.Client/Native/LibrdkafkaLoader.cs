using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Wharf.Client.Native;

/// <summary>
/// Finds, loads and verifies the librdkafka that every P/Invoke in this assembly binds to.
/// </summary>
/// <remarks>
/// <para>
/// The default native probing would accept any <c>librdkafka</c> the dynamic loader can find, and on Debian
/// that is the system's 2.0.2 (no share consumer) whenever the package's own linux-x64 build fails to load
/// for want of libsasl2.so.3. So the resolver never falls back to the system search: it tries only the files
/// the librdkafka.redist package puts next to the application, in order, and accepts the first that loads,
/// exports <c>rd_kafka_share_consumer_new</c> and reports a version of at least
/// <see cref="MinimumVersion"/>. On linux-x64 that order is the default <c>librdkafka.so</c> (which
/// build/Wharf.Client.targets overwrites with the self-contained centos8 build) and then the centos8 (or, on
/// musl, alpine) build itself, so a project that did not import the targets still works.
/// </para>
/// <para>
/// Static state: the resolver is registered once per assembly (the runtime allows no more) and every stub must
/// bind to the same verified library, so the chosen library is cached process-wide in a <see cref="Lazy{T}"/>.
/// That cache is the only static mutable state in Wharf.Client; a failed load is cached too, so every caller
/// sees the same explanation. Thread-safety: safe; the lazy value is created once under its lock.
/// </para>
/// </remarks>
internal static unsafe class LibrdkafkaLoader
{
    /// <summary>librdkafka 2.16.0, encoded as <c>rd_kafka_version()</c> does (0xMMmmrrxx).</summary>
    internal const int MinimumVersion = 0x02100000;

    internal const string ShareConsumerExport = "rd_kafka_share_consumer_new";

    private static readonly Lazy<LoadedLibrary> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The verified library; loads it on first use and throws the cached failure otherwise.</summary>
    internal static LoadedLibrary Library => Loaded.Value;

    internal static void InstallResolver(Assembly assembly) => NativeLibrary.SetDllImportResolver(assembly, Resolve);

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == LibrdkafkaNative.LibraryName ? Loaded.Value.Handle : 0;

    private static LoadedLibrary Load()
    {
        var attempts = new StringBuilder();
        foreach (var candidate in Candidates())
        {
            if (!File.Exists(candidate))
            {
                attempts.Append("\n  ").Append(candidate).Append(": not present");
                continue;
            }

            nint handle;
            try
            {
                handle = NativeLibrary.Load(candidate);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                attempts.Append("\n  ").Append(candidate).Append(": does not load (").Append(e.Message).Append(')');
                continue;
            }

            var rejection = Verify(handle, out var version, out var versionText);
            if (rejection is null)
                return new LoadedLibrary(handle, candidate, version, versionText);

            NativeLibrary.Free(handle);
            attempts.Append("\n  ").Append(candidate).Append(": ").Append(rejection);
        }

        throw new DllNotFoundException(
            $"Wharf.Client needs librdkafka 2.16 or later with the share consumer ({ShareConsumerExport}), loaded " +
            "from the librdkafka.redist package's files next to the application; the system library is never " +
            $"used. Tried:{attempts}");
    }

    /// <summary>Null when the library is usable, else why not.</summary>
    private static string? Verify(nint handle, out int version, out string versionText)
    {
        version = 0;
        versionText = "";
        if (!NativeLibrary.TryGetExport(handle, "rd_kafka_version", out var versionExport)
            || !NativeLibrary.TryGetExport(handle, "rd_kafka_version_str", out var versionTextExport))
            return "not librdkafka (no rd_kafka_version)";

        version = ((delegate* unmanaged<int>)versionExport)();
        versionText = Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)versionTextExport)()) ?? "";
        if (version < MinimumVersion)
            return $"version {versionText} is older than 2.16";
        if (!NativeLibrary.TryGetExport(handle, ShareConsumerExport, out _))
            return $"version {versionText} has no {ShareConsumerExport}";
        return null;
    }

    /// <summary>The files to try, best first, in the application's folder and then in this assembly's.</summary>
    private static IEnumerable<string> Candidates()
    {
        var folders = new List<string> { AppContext.BaseDirectory };
        var assemblyFolder = Path.GetDirectoryName(typeof(LibrdkafkaLoader).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyFolder)
            && !string.Equals(Path.GetFullPath(assemblyFolder), Path.GetFullPath(AppContext.BaseDirectory).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            folders.Add(assemblyFolder);

        var (rid, fileNames) = PlatformFiles();
        foreach (var folder in folders)
        {
            foreach (var fileName in fileNames)
                yield return Path.Combine(folder, "runtimes", rid, "native", fileName);
            // A self-contained or single-folder publish flattens runtimes/<rid>/native into the app folder.
            foreach (var fileName in fileNames)
                yield return Path.Combine(folder, fileName);
        }
    }

    private static (string Rid, string[] FileNames) PlatformFiles()
    {
        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => "x64",
            Architecture.X86 => "x86",
            Architecture.Arm64 => "arm64",
            Architecture.S390x => "s390x",
            var other => other.ToString().ToLowerInvariant(),
        };

        if (OperatingSystem.IsWindows())
            return ($"win-{arch}", ["librdkafka.dll"]);
        if (OperatingSystem.IsMacOS())
            return ($"osx-{arch}", ["librdkafka.dylib"]);

        // The package ships its variants for linux-x64 only: a default build linked against system SASL and
        // OpenSSL, and self-contained builds for glibc (centos8) and musl (alpine).
        if (arch != "x64")
            return ($"linux-{arch}", ["librdkafka.so"]);
        var musl = RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal);
        return ("linux-x64", ["librdkafka.so", musl ? "alpine-librdkafka.so" : "centos8-librdkafka.so"]);
    }

    /// <summary>The library every stub binds to.</summary>
    internal sealed record LoadedLibrary(nint Handle, string Path, int Version, string VersionText);
}
