namespace Wharf.TestKit.Tools;

/// <summary>The outside clients these tests drive.</summary>
public enum ExternalTool
{
    /// <summary>kcat (librdkafka-based command-line client), found on PATH.</summary>
    Kcat,

    /// <summary>kafka-python, imported by Debian's <c>/usr/bin/python3</c> (package python3-kafka).</summary>
    KafkaPython,

    /// <summary>KafkaJS, installed by <c>npm ci</c> in tests/compat/node, run with <c>node</c> from PATH.</summary>
    KafkaJs,

    /// <summary>confluent-kafka-python (librdkafka), imported by Debian's <c>/usr/bin/python3</c> (package python3-confluent-kafka).</summary>
    ConfluentKafkaPython,

    /// <summary>
    /// Go's sarama 1.22 from Debian (package golang-github-shopify-sarama-dev, built in GOPATH mode with <c>go</c> from
    /// golang-go): the old client that still sends ListOffsets v0 and OffsetCommit v1.
    /// </summary>
    Sarama,

    /// <summary>etcd (Debian's etcd-server), found on PATH: the coordination service a Wharf cluster runs on.</summary>
    Etcd,

    /// <summary>zsh, found on PATH: the second shell <c>wharf completion</c> writes a script for.</summary>
    Zsh,
}

/// <summary>
/// Finds the outside clients once per test run. <see cref="Require"/> is the single place that decides what a
/// missing tool means: under <c>CI=true</c> it is a failure, otherwise the test is skipped (by
/// <see cref="RequiresToolFactAttribute"/>, which consults <see cref="MissingReason"/> at discovery time).
/// Thread-safety: lazily initialised, immutable afterwards.
/// </summary>
public static class ExternalTools
{
    public const string SystemPython = "/usr/bin/python3";

    private static readonly Lazy<string?> KcatPath = new(() => FindOnPath("kcat") ?? FindOnPath("kafkacat"));
    private static readonly Lazy<string?> NodePath = new(() => FindOnPath("node"));
    private static readonly Lazy<string?> GoPath = new(() => FindOnPath("go"));
    private static readonly Lazy<string?> EtcdPath = new(() => FindOnPath("etcd"));
    private static readonly Lazy<string?> ZshPath = new(() => FindOnPath("zsh"));
    private static readonly Lazy<string?> KafkaPythonMissing = new(() => ProbePythonModule("kafka", "python3-kafka"));
    private static readonly Lazy<string?> ConfluentKafkaPythonMissing = new(() => ProbePythonModule("confluent_kafka", "python3-confluent-kafka"));

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.Ordinal);

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string PythonScripts => Path.Combine(RepositoryRoot, "tests", "compat", "python");

    public static string NodeScripts => Path.Combine(RepositoryRoot, "tests", "compat", "node");

    public static string Kcat => KcatPath.Value ?? throw Missing(ExternalTool.Kcat);

    public static string Node => NodePath.Value ?? throw Missing(ExternalTool.KafkaJs);

    /// <summary>Where Debian's Go packages keep their sources: the GOPATH the sarama program builds against.</summary>
    public const string DebianGoPath = "/usr/share/gocode";

    public static string GoPrograms => Path.Combine(RepositoryRoot, "tests", "compat", "go");

    public static string Go => GoPath.Value ?? throw Missing(ExternalTool.Sarama);

    public static string Zsh => ZshPath.Value ?? throw Missing(ExternalTool.Zsh);

    /// <summary>
    /// Why a test needing <paramref name="tools"/> is skipped: the first missing tool's reason, or null when all are
    /// there — and always null under <c>CI=true</c>, where the test runs and fails naming the missing tool.
    /// </summary>
    public static string? SkipReason(IEnumerable<ExternalTool> tools) =>
        IsCi ? null : tools.Select(MissingReason).FirstOrDefault(r => r is not null);

    /// <summary>Why the tool can't be used, or null when it can.</summary>
    public static string? MissingReason(ExternalTool tool) => tool switch
    {
        ExternalTool.Kcat => KcatPath.Value is null ? "kcat is not on PATH (apt-get install kcat)" : null,
        ExternalTool.KafkaPython => KafkaPythonMissing.Value,
        ExternalTool.ConfluentKafkaPython => ConfluentKafkaPythonMissing.Value,
        ExternalTool.KafkaJs => NodePath.Value is null
            ? "node is not on PATH"
            : File.Exists(Path.Combine(NodeScripts, "node_modules", "kafkajs", "package.json"))
                ? null
                : "KafkaJS is not installed (cd tests/compat/node && npm ci)",
        ExternalTool.Sarama => GoPath.Value is null
            ? "go is not on PATH (apt-get install golang-go)"
            : Directory.Exists(Path.Combine(DebianGoPath, "src", "github.com", "Shopify", "sarama"))
                ? null
                : $"sarama is not in {DebianGoPath} (apt-get install golang-github-shopify-sarama-dev)",
        ExternalTool.Etcd => EtcdPath.Value is null ? "etcd is not on PATH (apt-get install etcd-server)" : null,
        ExternalTool.Zsh => ZshPath.Value is null ? "zsh is not on PATH (apt-get install zsh)" : null,
        _ => throw new ArgumentOutOfRangeException(nameof(tool)),
    };

    /// <summary>Fails the test with a clear message if a tool is missing (the CI path: nothing skips there).</summary>
    public static void Require(params ExternalTool[] tools)
    {
        foreach (var tool in tools)
        {
            if (MissingReason(tool) is not null)
            {
                throw Missing(tool);
            }
        }
    }

    private static Xunit.Sdk.XunitException Missing(ExternalTool tool) =>
        new($"{tool} is required{(IsCi ? " under CI=true" : string.Empty)} but missing: {MissingReason(tool)}. " +
            "scripts/install-test-tools.sh installs it.");

    private static string? ProbePythonModule(string module, string package)
    {
        if (!File.Exists(SystemPython))
        {
            return $"{SystemPython} does not exist";
        }

        try
        {
            var result = ChildProcess.RunAsync(SystemPython, ["-c", $"import {module}"], timeout: TimeSpan.FromSeconds(20))
                .GetAwaiter().GetResult();
            return result.ExitCode == 0 ? null : $"{SystemPython} cannot import {module} (apt-get install {package}): {result.StandardError.Trim()}";
        }
        catch (Exception e)
        {
            return $"probing {module} failed: {e.Message}";
        }
    }

    private static string? FindOnPath(string name)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wharf.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Wharf.slnx above {AppContext.BaseDirectory}");
    }
}
