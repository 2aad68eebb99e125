using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Wharf.Cli;

/// <summary>
/// <c>wharf --version</c>: the informational version (with the commit it was built from) and the librdkafka the CLI's
/// client commands load, e.g. <c>0.1.0+792efaf (librdkafka 2.16.0)</c> — so a package that picked up the system's older
/// librdkafka shows it at once. The first word stays the bare version for scripts.
/// </summary>
internal sealed class VersionAction : SynchronousCommandLineAction
{
    public static string Informational =>
        typeof(VersionAction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public override int Invoke(ParseResult parseResult)
    {
        string librdkafka;
        try
        {
            librdkafka = Confluent.Kafka.Library.VersionString;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException or TypeInitializationException)
        {
            librdkafka = $"not loadable: {e.Message}";
        }

        parseResult.InvocationConfiguration.Output.WriteLine($"{Informational} (librdkafka {librdkafka})");
        return 0;
    }
}
