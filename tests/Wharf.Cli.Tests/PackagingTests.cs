using Wharf.TestKit.Tools;
using Wharf.Testing;

namespace Wharf.Cli.Tests;

/// <summary>
/// The two ways README gives to install <c>wharf</c>, done for real: a self-contained single-file publish for
/// linux-x64, and the .NET tool package installed with <c>dotnet tool install</c>. Each must be one runnable command
/// that loads the bundled librdkafka 2.16.0 (not the system's) and administers a live broker.
/// </summary>
public sealed class PackagingTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("wharf-packaging-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task SingleFilePublish_IsOneExecutable_ThatLoadsTheBundledLibrdkafka_AndAdministersABroker()
    {
        var output = Path.Combine(_scratch, "publish");
        await RunAsync("dotnet", "publish", Path.Combine(ExternalTools.RepositoryRoot, "src", "Wharf"), "-c", "Release", "-r", "linux-x64", "-o", output, "-nologo", "-v:q");

        var wharf = Assert.Single(Directory.GetFiles(output));
        Assert.Equal("wharf", Path.GetFileName(wharf));
        await AssertAdministersABrokerAsync(wharf);
    }

    [Fact]
    public async Task DotnetTool_InstalledFromThePackage_LoadsTheBundledLibrdkafka_AndAdministersABroker()
    {
        var packages = Path.Combine(_scratch, "packages");
        var tools = Path.Combine(_scratch, "tools");
        // --no-build packs what the test run was built from, so nothing rebuilds under the running tests.
        await RunAsync("dotnet", "pack", Path.Combine(ExternalTools.RepositoryRoot, "src", "Wharf"), "-c", "Release", "--no-build", "-o", packages, "-nologo", "-v:q");
        var package = Path.GetFileNameWithoutExtension(Assert.Single(Directory.GetFiles(packages, "Wharf.*.nupkg")));
        await RunAsync("dotnet", "tool", "install", "--tool-path", tools, "--add-source", packages, "Wharf", "--version", package["Wharf.".Length..]);

        await AssertAdministersABrokerAsync(Path.Combine(tools, "wharf"));
    }

    private static async Task AssertAdministersABrokerAsync(string wharf)
    {
        var version = await RunAsync(wharf, "--version");
        Assert.Contains("(librdkafka 2.16.0)", version, StringComparison.Ordinal);

        await using var broker = await WharfBroker.StartAsync();
        await RunAsync(wharf, "topic", "create", "packaged", "-p", "2", "-b", broker.BootstrapServers);
        var listed = await RunAsync(wharf, "topic", "list", "--format", "json", "-b", broker.BootstrapServers);
        Assert.Contains("\"packaged\"", listed, StringComparison.Ordinal);
    }

    /// <summary>Runs a command to completion (at most 5 minutes) and returns its stdout; a non-zero exit fails the test with both streams.</summary>
    private static async Task<string> RunAsync(string program, params string[] arguments) =>
        (await ChildProcess.RunAsync(program, arguments, timeout: TimeSpan.FromMinutes(5),
            environment: new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" })).EnsureSuccess().StandardOutput;
}
