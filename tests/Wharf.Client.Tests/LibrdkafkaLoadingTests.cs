using System.Runtime.InteropServices;

namespace Wharf.Client.Tests;

/// <summary>Which native librdkafka Wharf.Client binds to, and that the build targets put the right one in place.</summary>
public class LibrdkafkaLoadingTests
{
    private static readonly string NativeFolder = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");

    [Fact]
    public void LoadedLibrary_IsTheBundled2_16_0()
    {
        Assert.Equal("2.16.0", Librdkafka.Version);
        Assert.True(Librdkafka.VersionNumber >= 0x02100000, $"rd_kafka_version() = 0x{Librdkafka.VersionNumber:x8}");
    }

    [Fact]
    public void LoadedLibrary_ComesFromTheApplicationsRuntimesFolderNotTheSystem()
    {
        Assert.StartsWith(AppContext.BaseDirectory, Librdkafka.Path, StringComparison.Ordinal);
        Assert.DoesNotContain("/usr/lib", Librdkafka.Path, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildTargets_PutTheSelfContainedBuildInTheDefaultsPlace_SoTheDefaultPathLoads()
    {
        Assert.True(OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64, "this check is written for linux-x64");

        var defaultLibrary = Path.Combine(NativeFolder, "librdkafka.so");
        Assert.Equal(File.ReadAllBytes(Path.Combine(NativeFolder, "centos8-librdkafka.so")), File.ReadAllBytes(defaultLibrary));
        // The loader's first choice worked, so its centos8 fallback was not needed.
        Assert.Equal(defaultLibrary, Librdkafka.Path);
    }
}
