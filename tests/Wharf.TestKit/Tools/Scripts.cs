using System.Text.Json;

namespace Wharf.TestKit.Tools;

/// <summary>Runs the client scripts under tests/compat and parses the single JSON document each prints.</summary>
public static class Scripts
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true };

    /// <summary>Runs tests/compat/python/<paramref name="script"/> with Debian's /usr/bin/python3 (where python3-kafka lives).</summary>
    public static Task<T> RunPythonAsync<T>(string script, params string[] arguments) => RunPythonAsync<T>(ExternalTool.KafkaPython, script, arguments);

    /// <summary>Runs tests/compat/python/<paramref name="script"/> with the system python, which must import <paramref name="module"/>'s library.</summary>
    public static Task<T> RunPythonAsync<T>(ExternalTool module, string script, params string[] arguments)
    {
        ExternalTools.Require(module);
        return RunAsync<T>(
            ExternalTools.SystemPython,
            [Path.Combine(ExternalTools.PythonScripts, script), .. arguments],
            new Dictionary<string, string> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["PYTHONIOENCODING"] = "utf-8" },
            ExternalTools.PythonScripts);
    }

    /// <summary>Runs tests/compat/node/<paramref name="script"/> with node (KafkaJS from its node_modules).</summary>
    public static Task<T> RunNodeAsync<T>(string script, params string[] arguments)
    {
        ExternalTools.Require(ExternalTool.KafkaJs);
        return RunAsync<T>(
            ExternalTools.Node,
            [Path.Combine(ExternalTools.NodeScripts, script), .. arguments],
            new Dictionary<string, string> { ["KAFKAJS_NO_PARTITIONER_WARNING"] = "1" },
            ExternalTools.NodeScripts);
    }

    /// <summary>
    /// Builds tests/compat/go/<paramref name="program"/> against Debian's Go packages (GOPATH mode, no module
    /// download) and runs it. Each run builds into a fresh directory; Go's build cache keeps that to seconds.
    /// </summary>
    public static async Task<T> RunGoAsync<T>(string program, params string[] arguments)
    {
        ExternalTools.Require(ExternalTool.Sarama);
        var output = Path.Combine(Path.GetTempPath(), "wharf-go-" + Guid.NewGuid().ToString("N"));
        var environment = new Dictionary<string, string>
        {
            ["GO111MODULE"] = "off",
            ["GOPATH"] = ExternalTools.DebianGoPath,
            ["GOCACHE"] = Path.Combine(Path.GetTempPath(), "wharf-go-cache"),
            ["CGO_CFLAGS"] = "-Wno-deprecated-declarations",
        };
        try
        {
            var binary = Path.Combine(output, program);
            (await ChildProcess.RunAsync(ExternalTools.Go, ["build", "-o", binary, "."], timeout: TimeSpan.FromMinutes(3), environment: environment, workingDirectory: Path.Combine(ExternalTools.GoPrograms, program))).EnsureSuccess();
            return await RunAsync<T>(binary, arguments, environment, output);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    private static async Task<T> RunAsync<T>(string fileName, string[] arguments, Dictionary<string, string> environment, string workingDirectory)
    {
        var result = (await ChildProcess.RunAsync(fileName, arguments, environment: environment, workingDirectory: workingDirectory)).EnsureSuccess();
        try
        {
            return JsonSerializer.Deserialize<T>(result.StandardOutput, Json)
                ?? throw new Xunit.Sdk.XunitException($"`{result.Command}` printed null.");
        }
        catch (JsonException e)
        {
            throw new Xunit.Sdk.XunitException(
                $"`{result.Command}` printed no valid JSON ({e.Message}).\n--- stdout ---\n{result.StandardOutput}\n--- stderr ---\n{result.StandardError}");
        }
    }
}
