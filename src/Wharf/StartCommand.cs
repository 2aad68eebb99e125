using Microsoft.Extensions.Logging;
using Wharf.Server;

namespace Wharf;

/// <summary><c>wharf start</c>: runs a single-node broker until Ctrl+C or SIGTERM, then stops cleanly.</summary>
internal static class StartCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        BrokerOptions options;
        try
        {
            options = BrokerSettings.Load(args, Environment.GetEnvironmentVariables());
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync($"wharf: {e.Message}");
            return 2;
        }

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
        await using var broker = await KafkaBroker.StartAsync(options, loggerFactory, stopping.Token);
        Console.WriteLine($"""
            Wharf {typeof(StartCommand).Assembly.GetName().Version?.ToString(3)} — Kafka-compatible broker (single node)
              listener     PLAINTEXT://{options.Host}:{broker.Endpoint.Port} (advertised {broker.BootstrapServers})
              data dir     {Path.GetFullPath(broker.DataDirectory)}
              cluster id   {broker.Catalog.ClusterId}   node id {options.NodeId}
              flush mode   {options.DefaultLogConfig.FlushMode.ToString().ToLowerInvariant()}
              ready in     {started.ElapsedMilliseconds} ms — Ctrl+C to stop
            """);
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
