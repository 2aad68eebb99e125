namespace Wharf.Integration.Tests;

/// <summary>What <c>wharf start</c> prints before its banner: one line per coordinator topic, not one per partition.</summary>
public sealed class StartupLogTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "wharf-startup-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task Start_PrintsOneSummaryLinePerCoordinatorTopic_NotOnePerPartition()
    {
        using var broker = await BrokerProcess.StartAsync(_dataDirectory, null, "offsets.topic.num.partitions=50", "transaction.state.log.num.partitions=50");
        var output = string.Join('\n', broker.StartupLines);

        var offsets = Assert.Single(broker.StartupLines, l => l.Contains("__consumer_offsets", StringComparison.Ordinal) && l.Contains("Loaded", StringComparison.Ordinal));
        Assert.Contains("Loaded 0 groups from 50 __consumer_offsets partitions", offsets, StringComparison.Ordinal);
        var transactions = Assert.Single(broker.StartupLines, l => l.Contains("__transaction_state", StringComparison.Ordinal) && l.Contains("Loaded", StringComparison.Ordinal));
        Assert.Contains("Loaded 0 transactional ids from 50 __transaction_state partitions", transactions, StringComparison.Ordinal);
        Assert.True(broker.StartupLines.Count < 40, $"{broker.StartupLines.Count} lines before the banner:\n{output}");
    }
}
