using System.CommandLine;
using Confluent.Kafka;

namespace Wharf.Cli;

/// <summary>Connects the admin commands to a cluster through Confluent's AdminClient. Thread-safety: stateless.</summary>
internal static class Admin
{
    /// <summary>How long any request may take before the command gives up (an unreachable broker included).</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static IAdminClient Connect(ParseResult parsed)
    {
        var config = new AdminClientConfig
        {
            BootstrapServers = parsed.GetValue(GlobalOptions.Bootstrap),
            ClientId = "wharf-cli",
            SocketTimeoutMs = (int)Timeout.TotalMilliseconds,
        };

        // librdkafka logs connection failures to stderr on its own; the command reports the failure once itself.
        return new AdminClientBuilder(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
    }
}
