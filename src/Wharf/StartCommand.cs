using Microsoft.Extensions.Logging;
using Wharf.Configuration;
using Wharf.Metadata;
using Wharf.Server;

namespace Wharf;

/// <summary>
/// <c>wharf start</c>: runs a broker until Ctrl+C or SIGTERM, then stops cleanly — a single node, or with
/// <c>etcd.connect</c> a member of the cluster kept in that etcd (SIGTERM is then a controlled shutdown).
/// </summary>
internal static class StartCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        BrokerConfig config;
        try
        {
            var sources = BrokerConfigLoader.ParseArguments(args, out var remaining);
            if (remaining.Count > 0)
            {
                throw new ConfigException($"unexpected argument '{remaining[0]}'");
            }

            config = BrokerConfigLoader.Load(sources with { Environment = EnvironmentConfig.FromProcess() });
        }
        catch (ConfigException e)
        {
            foreach (var error in e.Errors)
            {
                await Console.Error.WriteLineAsync($"wharf: {error}");
            }

            return 2;
        }

        Console.WriteLine(StartupSummary.Banner(config));
        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
            })
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning));

        using var stopping = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stopping.Cancel();
        });
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stopping.Cancel();
        };

        var started = System.Diagnostics.Stopwatch.StartNew();
        KafkaBroker broker;
        try
        {
            var cluster = await ClusterConnector.ConnectAsync(config, loggerFactory, stopping.Token);
            broker = await KafkaBroker.StartAsync(config, loggerFactory, cluster: cluster, cancellationToken: stopping.Token);
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
        {
            await Console.Error.WriteLineAsync($"wharf: cannot listen on {config.Listeners[0]}: the address is already in use (another broker running? change it with --set listeners=PLAINTEXT://127.0.0.1:PORT)");
            return 1;
        }
        catch (Exception e) when (e is MetaPropertiesException or DuplicateBrokerRegistrationException or FormatException or TimeoutException or Storage.DataDirectoryLockedException)
        {
            await Console.Error.WriteLineAsync($"wharf: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 1;
        }

        await using var brokerScope = broker;
        Console.WriteLine(StartupSummary.Ready(broker, started.Elapsed));
        try
        {
            await Task.Delay(Timeout.Infinite, stopping.Token);
        }
        catch (OperationCanceledException)
        {
        }

        Console.WriteLine("Stopping: flushing logs and writing checkpoints…");
        return 0;
    }
}
