using System.Net;
using System.Net.Sockets;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Wharf.Console.Tests;

/// <summary>The HTTP listener as a web server: connections kept alive, a port in use refused like the Kafka port, the web server's own chatter kept out of the broker's log.</summary>
public sealed class HttpListenerTests
{
    [Fact]
    public async Task OneConnection_ServesSeveralRequests()
    {
        await using var broker = await WharfBroker.StartAsync();
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, broker.HttpAddress!.Port);
        var stream = client.GetStream();
        const string Request = "GET /health/live HTTP/1.1\r\nHost: wharf\r\n\r\n";

        await stream.WriteAsync(Encoding.ASCII.GetBytes(Request + Request + "GET /api/v1/brokers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answers = await reader.ReadToEndAsync();

        Assert.Equal(3, answers.Split("HTTP/1.1 200 OK").Length - 1);
        Assert.Contains("\"node_id\":1", answers, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnHttpPortInUse_FailsTheStartWithAddressInUse_AndLeavesTheDataDirectoryFree()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        var directory = Path.Combine(Path.GetTempPath(), "wharf-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var refused = await Assert.ThrowsAsync<SocketException>(() => WharfBroker.StartAsync(new Dictionary<string, string>
            {
                ["log.dirs"] = directory,
                ["http.listeners"] = $"http://127.0.0.1:{port}",
            }));

            Assert.Equal(SocketError.AddressAlreadyInUse, refused.SocketErrorCode);
            Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Message, StringComparison.Ordinal);
            await using var second = await WharfBroker.StartAsync(new Dictionary<string, string> { ["log.dirs"] = directory });
            Assert.NotNull(second.HttpAddress);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public async Task TheWebServersOwnLogs_BelowWarning_StayOutOfTheBrokersLog()
    {
        var entries = new ConcurrentQueue<(string Category, LogLevel Level)>();
        using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new CapturingProvider(entries)));
        await using (var broker = await WharfBroker.StartAsync(loggerFactory: loggers))
        {
            using var http = new HttpClient { BaseAddress = broker.HttpAddress };
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("nothing")).StatusCode);
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, broker.HttpAddress!.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("NOT HTTP AT ALL\r\n\r\n"));
            using var reader = new StreamReader(stream, Encoding.ASCII);
            Assert.StartsWith("HTTP/1.1 400", await reader.ReadLineAsync(), StringComparison.Ordinal);
        }

        Assert.Contains(entries, e => e.Category.StartsWith("Wharf.", StringComparison.Ordinal) && e.Level == LogLevel.Information);
        Assert.DoesNotContain(entries, e => e.Category.StartsWith("Microsoft.", StringComparison.Ordinal) && e.Level < LogLevel.Warning);
    }

    private sealed class CapturingProvider(ConcurrentQueue<(string Category, LogLevel Level)> entries) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, entries);

        public void Dispose()
        {
        }

        private sealed class Capturing(string category, ConcurrentQueue<(string Category, LogLevel Level)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((category, logLevel));
        }
    }
}
