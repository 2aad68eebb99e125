using System.Text.Json.Nodes;
using Confluent.Kafka;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Xunit.Abstractions;

namespace Wharf.Console.Tests;

/// <summary>
/// The web console in a real headless chromium against a real broker: a topic created with the form, a message produced
/// with the form and browsed (JSON pretty-printed, found by the search box), a consumer group run by Confluent's client
/// whose lag shows on the group page and its chart. The last page is kept as a screenshot (the test output and
/// docs/images/console.png with WHARF_UPDATE_SCREENSHOT=1). Every wait is on a condition in the page, with a deadline.
/// </summary>
public sealed class ConsoleBrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private WharfBroker _broker = null!;
    private ChromeDriver? _browser;

    public async Task InitializeAsync() => _broker = await WharfBroker.StartAsync();

    public async Task DisposeAsync()
    {
        _browser?.Quit();
        _browser?.Dispose();
        await _broker.DisposeAsync();
    }

    [ChromiumFact]
    public async Task Console_CreateProduceBrowseAndWatchLag_EndToEnd()
    {
        _browser = Chromium.Start();
        var page = new WebDriverWait(_browser, Deadline);

        // The group page redraws itself as it samples: an element found a moment ago may be gone.
        page.IgnoreExceptionTypes(typeof(StaleElementReferenceException));

        // Overview: the cluster as the API reports it.
        _browser.Navigate().GoToUrl(_broker.HttpAddress!);
        var clusterId = page.Until(d => Visible(d, "cluster-id"));
        Assert.Equal(_broker.Controller.Current.ClusterId, clusterId.Text);
        Assert.Equal("1", _browser.FindElement(TestId("broker-count")).Text);

        // Topics: create one with the form.
        _browser.FindElement(TestId("nav-topics")).Click();
        page.Until(d => Visible(d, "create-topic-name")).SendKeys("orders");
        var partitions = _browser.FindElement(TestId("create-topic-partitions"));
        partitions.Clear();
        partitions.SendKeys("2");
        _browser.FindElement(TestId("create-topic-submit")).Click();
        page.Until(d => Visible(d, "topic-detail")?.Text == "Topic orders");
        Assert.Equal(2, _browser.FindElement(TestId("partitions-table")).FindElements(By.CssSelector("tbody tr")).Count);

        // Produce: one JSON message with a key and a header, to partition 0.
        _browser.FindElement(TestId("nav-produce")).Click();
        page.Until(d => Visible(d, "produce-form"));
        Choose(_browser, "produce-topic", "orders");
        _browser.FindElement(TestId("produce-partition")).SendKeys("0");
        _browser.FindElement(TestId("produce-key")).SendKeys("order-1");
        _browser.FindElement(TestId("produce-value")).SendKeys("""{"id":1,"item":"anchor","qty":2}""");
        _browser.FindElement(TestId("produce-headers")).SendKeys("source: console");
        _browser.FindElement(TestId("produce-submit")).Click();
        Assert.Equal("Produced to orders-0 at offset 0", page.Until(d => Visible(d, "produce-ok")).Text);

        // More messages from a Kafka client, then a group that has read part of them.
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build())
        {
            for (var i = 2; i <= 10; i++)
            {
                await producer.ProduceAsync(new TopicPartition("orders", 0), new Message<string, string> { Key = $"order-{i}", Value = $$"""{"id":{{i}},"item":"rope","qty":{{i}}}""" });
            }
        }

        using (var consumer = new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = _broker.BootstrapServers,
            GroupId = "billing",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build())
        {
            consumer.Assign(new TopicPartitionOffset("orders", 0, 0));
            for (var i = 0; i < 4; i++)
            {
                Assert.NotNull(consumer.Consume(Deadline));
            }

            consumer.Commit([new TopicPartitionOffset("orders", 0, 4)]);
        }

        // Messages: from offset 0; the first value is pretty-printed JSON; the search box narrows the page.
        _browser.Navigate().GoToUrl(new Uri(_broker.HttpAddress!, "#/messages/orders/0"));
        page.Until(d => Visible(d, "browse-form"));
        Choose(_browser, "browse-mode", "offset");
        var offset = _browser.FindElement(TestId("browse-offset"));
        offset.Clear();
        offset.SendKeys("0");
        var limit = _browser.FindElement(TestId("browse-limit"));
        limit.Clear();
        limit.SendKeys("3");
        _browser.FindElement(TestId("browse-submit")).Click();

        // The page first shows the newest 50 by itself; the answer to the form is the one with 3 rows.
        page.Until(d => Rows(d, "messages-table") == 3 && Visible(d, "browse-status")?.Text.StartsWith("orders-0: offsets 0–2 ", StringComparison.Ordinal) == true);
        var first = _browser.FindElement(TestId("message-0"));
        Assert.Equal("{\n  \"id\": 1,\n  \"item\": \"anchor\",\n  \"qty\": 2\n}", first.FindElement(TestId("message-value")).Text);
        Assert.Equal("order-1", first.FindElement(TestId("message-key")).Text);
        Assert.Contains("source", first.Text, StringComparison.Ordinal);
        _browser.FindElement(TestId("browse-search")).SendKeys("anchor");
        page.Until(d => Rows(d, "messages-table") == 1);
        Assert.Single(_browser.FindElements(TestId("message-0")));

        // Brokers: this one, the controller.
        _browser.FindElement(TestId("nav-brokers")).Click();
        Assert.Contains("controller", page.Until(d => Visible(d, "broker-row-1")).Text, StringComparison.Ordinal);

        // Groups: the lag of billing (10 - 4), sampled into the chart.
        _browser.FindElement(TestId("nav-groups")).Click();
        page.Until(d => Visible(d, "group-row-billing")).FindElement(By.TagName("a")).Click();
        page.Until(d => Visible(d, "group-total-lag")?.Text == "6");
        page.Until(d => Visible(d, "lag-orders-0")?.Text == "6");
        page.Until(d => ChartSamples(d) >= 2);

        // More messages while the page samples: the lag and the chart follow.
        var samples = ChartSamples(_browser);
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = _broker.BootstrapServers }).Build())
        {
            for (var i = 0; i < 5; i++)
            {
                await producer.ProduceAsync(new TopicPartition("orders", 0), new Message<Null, string> { Value = "late" });
            }
        }

        page.Until(d => Visible(d, "group-total-lag")?.Text == "11");
        page.Until(d => ChartSamples(d) > samples + 1);
        Assert.Empty(_browser.FindElements(By.CssSelector("[data-testid='error-banner']:not([hidden])")));

        KeepScreenshot(_browser.GetScreenshot());
        using var api = new ApiClient(_broker.HttpAddress!);
        Assert.Equal(11, (long)(await api.GetAsync("api/v1/groups/billing")).Ok()["total_lag"]!);
    }

    private static By TestId(string id) => By.CssSelector($"[data-testid='{id}']");

    private static IWebElement? Visible(IWebDriver driver, string testId) =>
        driver.FindElements(TestId(testId)).FirstOrDefault(e => e.Displayed);

    private static int ChartSamples(IWebDriver driver) =>
        driver.FindElements(By.CssSelector("[data-testid='lag-chart'] polyline")).FirstOrDefault()?.GetAttribute("data-samples") is { } n
            ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)
            : 0;

    private static void Choose(IWebDriver driver, string testId, string value) =>
        driver.FindElement(By.CssSelector($"[data-testid='{testId}'] option[value='{value}']")).Click();

    private static int Rows(IWebDriver driver, string testId) =>
        driver.FindElements(By.CssSelector($"[data-testid='{testId}'] tbody tr")).Count;

    /// <summary>
    /// Saves the page in the test output directory (the run's artifact); with <c>WHARF_UPDATE_SCREENSHOT=1</c> also as
    /// docs/images/console.png in the repository (found by walking up to Wharf.slnx), so a test run leaves the
    /// working tree clean unless a new picture is asked for.
    /// </summary>
    private void KeepScreenshot(Screenshot screenshot)
    {
        var artifact = Path.Combine(AppContext.BaseDirectory, "console.png");
        screenshot.SaveAsFile(artifact);
        output.WriteLine($"screenshot: {artifact}");
        if (Environment.GetEnvironmentVariable("WHARF_UPDATE_SCREENSHOT") != "1")
        {
            return;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Wharf.slnx")))
            {
                var images = Directory.CreateDirectory(Path.Combine(directory.FullName, "docs", "images"));
                File.Copy(artifact, Path.Combine(images.FullName, "console.png"), overwrite: true);
                output.WriteLine($"screenshot: {Path.Combine(images.FullName, "console.png")}");
                return;
            }
        }
    }
}
