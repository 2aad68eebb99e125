using System.Globalization;

namespace Wharf.LoadGen.Servers;

/// <summary>
/// A private RabbitMQ node (Debian's <c>rabbitmq-server</c>, 3.10 on Erlang 25) for one benchmark target: its own
/// node name, AMQP port on 127.0.0.1, distribution port, Erlang port mapper (epmd) on its own port, and every file —
/// Mnesia, quorum-queue WAL and segments, message store, logs, config, enabled-plugins list, Erlang cookie (HOME) —
/// under a fresh data directory, so it neither sees nor disturbs a system RabbitMQ service on this machine. No plugins
/// (no management UI). Started as root directly through <c>/usr/lib/rabbitmq/bin/rabbitmq-server</c>: Debian's
/// <c>/usr/sbin</c> wrapper would <c>su</c> to the rabbitmq user and redirect the output to <c>/var/log</c>.
/// <para>
/// Process tree: the script stays in the foreground as a shell (it traps SIGTERM and stops the VM cleanly) with the
/// Erlang VM (<c>beam.smp</c>) and its port programs below it, so the broker's CPU is read over the whole tree
/// (<see cref="ProcessStats.TreeCpuSeconds"/>). epmd is started first, by this class, in the foreground: were it left
/// to the VM it would daemonise itself and outlive the run.
/// </para>
/// Lifecycle: <see cref="StartAsync"/> returns once the log says "Server startup complete" and the port accepts
/// connections; <see cref="DisposeAsync"/> stops the node (SIGTERM to the script, which stops the VM), then epmd, each
/// by its own pid, and deletes the data directory.
/// Thread-safety: one owner.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    private const string Script = "/usr/lib/rabbitmq/bin/rabbitmq-server";

    private readonly ServerProcess _epmd;

    private RabbitMqServer(ServerProcess epmd, ServerProcess node, string nodeName)
    {
        _epmd = epmd;
        Node = node;
        NodeName = nodeName;
    }

    /// <summary>The shell running the node; <see cref="ServerProcess.Pid"/> is the root of the broker's process tree.</summary>
    public ServerProcess Node { get; }

    public string NodeName { get; }

    public int Port => Node.Port;

    /// <summary>"RabbitMQ 3.10.8 on Erlang 25.2.3", from the node's start-up log, or "RabbitMQ" if it was not seen.</summary>
    public string Version { get; private set; } = "RabbitMQ";

    public static async Task<RabbitMqServer> StartAsync(string scratch)
    {
        if (!File.Exists(Script))
        {
            throw new InvalidOperationException($"{Script} is missing (Debian: apt-get install rabbitmq-server)");
        }

        var data = Path.Combine(scratch, $"rabbitmq-{Guid.NewGuid():N}"[..18]);
        Directory.CreateDirectory(data);
        string Port() => ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        var epmdPort = Port();
        var amqpPort = ServerProcess.FreePort();
        var nodeName = $"wharf-bench-{amqpPort}@localhost";

        // The empty files keep the node from reading /etc/rabbitmq: no config, no rabbitmq-env.conf, no plugins.
        await File.WriteAllTextAsync(Path.Combine(data, "rabbitmq.conf"), "").ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(data, "rabbitmq-env.conf"), "").ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(data, "enabled_plugins"), "[].\n").ConfigureAwait(false);

        var epmd = await ServerProcess.StartAsync("epmd", "epmd", ["-port", epmdPort, "-address", "127.0.0.1"], int.Parse(epmdPort, CultureInfo.InvariantCulture), data, null, TimeSpan.FromSeconds(10), ownsDataDirectory: false).ConfigureAwait(false);
        string[] environment =
        [
            $"HOME={data}",
            $"ERL_EPMD_PORT={epmdPort}",
            "ERL_EPMD_ADDRESS=127.0.0.1",
            $"RABBITMQ_NODENAME={nodeName}",
            "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
            $"RABBITMQ_NODE_PORT={amqpPort}",

            // The default is the AMQP port + 20,000, past 65,535 for most of the ephemeral range FreePort draws from.
            $"RABBITMQ_DIST_PORT={Port()}",
            $"RABBITMQ_BASE={data}",
            $"RABBITMQ_MNESIA_BASE={Path.Combine(data, "mnesia")}",
            $"RABBITMQ_LOG_BASE={Path.Combine(data, "log")}",
            "RABBITMQ_LOGS=-",
            $"RABBITMQ_CONFIG_FILE={Path.Combine(data, "rabbitmq.conf")}",
            $"RABBITMQ_CONF_ENV_FILE={Path.Combine(data, "rabbitmq-env.conf")}",
            $"RABBITMQ_ENABLED_PLUGINS_FILE={Path.Combine(data, "enabled_plugins")}",
            $"RABBITMQ_PID_FILE={Path.Combine(data, "rabbitmq.pid")}",
        ];
        string? version = null;
        ServerProcess node;
        try
        {
            node = await ServerProcess.StartAsync(
                "rabbitmq", Script, [], amqpPort, data,
                line => line.Contains("Server startup complete", StringComparison.Ordinal),
                TimeSpan.FromSeconds(90), environment,
                onOutput: line =>
                {
                    var at = line.IndexOf("Starting RabbitMQ ", StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        version ??= line[(at + "Starting ".Length)..].Replace(" [jit]", "", StringComparison.Ordinal).Trim();
                    }
                }).ConfigureAwait(false);
        }
        catch
        {
            await epmd.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new RabbitMqServer(epmd, node, nodeName) { Version = version ?? "RabbitMQ" };
    }

    public async ValueTask DisposeAsync()
    {
        // The node first (it deregisters from epmd as it stops), then epmd; the node owns the data directory.
        await Node.DisposeAsync().ConfigureAwait(false);
        await _epmd.DisposeAsync().ConfigureAwait(false);
    }
}
