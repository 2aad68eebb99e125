using System.Text.Json;

namespace Wharf.Compat.Tests.Infrastructure;

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
