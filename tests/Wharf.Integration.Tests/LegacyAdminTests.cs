using Wharf.Common;
using Wharf.Coordinator;
using Wharf.Coordinator.Transaction;
using Wharf.Protocol;
using Wharf.Protocol.Messages;

namespace Wharf.Integration.Tests;

/// <summary>
/// CreateTopics v0–1, DeleteTopics v0, DescribeConfigs v0 and DescribeLogDirs v0 — admin versions Kafka 4.0 dropped
/// (KIP-896) — as frames written and read byte by byte from the protocol spec over a real socket; the refusal of the
/// coordinators' topics in DeleteTopics; and Produce v0–2 / Fetch v0–3, which stay unserved because they carry the
/// message formats 0 and 1.
/// </summary>
public sealed class LegacyAdminTests : IAsyncLifetime
{
    private InProcessBroker _broker = null!;
    private RawKafkaConnection _connection = null!;
    private int _correlationId = 1000;

    public async Task InitializeAsync()
    {
        _broker = await InProcessBroker.StartAsync();
        _connection = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task CreateTopicsV0_Creates_V1ValidateOnlyCreatesNothing_AndDeleteTopicsV0Deletes()
    {
        var created = await ExchangeAsync(19, 0, new LegacyRequest()
            .Array(["legacy-a"], (w, name) => w.String(name).Int32(3).Int16(1).Array(System.Array.Empty<int>(), (_, _) => { }).Array([("retention.ms", "60000")], (w2, c) => w2.String(c.Item1).String(c.Item2)))
            .Int32(10_000));
        Assert.Equal([("legacy-a", (short)0)], created.Array(r => (r.String(), r.Int16())));
        Assert.True(created.AtEnd, "bytes left after the CreateTopics v0 response");
        Assert.True(_broker.Broker.Controller.Current.TryGetTopic("legacy-a", out var topic));
        Assert.Equal(3, topic.PartitionCount);

        var validated = await ExchangeAsync(19, 1, new LegacyRequest()
            .Array(["legacy-b", "legacy-a"], (w, name) => w.String(name).Int32(1).Int16(1).Array(System.Array.Empty<int>(), (_, _) => { }).Array(System.Array.Empty<int>(), (_, _) => { }))
            .Int32(10_000)
            .Bool(true));
        var results = validated.Array(r => (r.String(), r.Int16(), r.String()))!;
        Assert.True(validated.AtEnd, "bytes left after the CreateTopics v1 response");
        Assert.Equal([("legacy-b", (short)0), ("legacy-a", (short)ErrorCode.TopicAlreadyExists)], results.Select(r => (r.Item1, r.Item2)));
        Assert.Null(results[0].Item3);
        Assert.False(string.IsNullOrEmpty(results[1].Item3));
        Assert.False(_broker.Broker.Controller.Current.TryGetTopic("legacy-b", out _), "validate_only created the topic");

        var deleted = await ExchangeAsync(20, 0, new LegacyRequest().Array(["legacy-a", "legacy-missing"], (w, name) => w.String(name)).Int32(10_000));
        Assert.Equal([("legacy-a", (short)0), ("legacy-missing", (short)ErrorCode.UnknownTopicOrPartition)], deleted.Array(r => (r.String(), r.Int16())));
        Assert.True(deleted.AtEnd, "bytes left after the DeleteTopics v0 response");
        Assert.False(_broker.Broker.Controller.Current.TryGetTopic("legacy-a", out _));
    }

    [Fact]
    public async Task DescribeConfigsV0_IsDefaultIsFalseOnlyForTheTopicsOwnOverrides()
    {
        await _broker.CreateTopicAsync("legacy-configs", 1, ("retention.ms", "60000"));

        var response = await ExchangeAsync(32, 0, new LegacyRequest()
            .Array(["legacy-configs"], (w, name) => w.Int8(2).String(name).Array<string>(null, (_, _) => { })));

        Assert.Equal(0, response.Int32()); // throttle_time_ms
        var result = Assert.Single(response.Array(r => (Error: r.Int16(), Message: r.String(), Type: r.Int8(), Name: r.String(),
            Configs: r.Array(c => (Name: c.String()!, Value: c.String(), ReadOnly: c.Bool(), IsDefault: c.Bool(), Sensitive: c.Bool()))!))!);
        Assert.True(response.AtEnd, "bytes left after the DescribeConfigs v0 response");
        Assert.Equal((0, null, 2, "legacy-configs"), (result.Error, result.Message, result.Type, result.Name));
        var configs = result.Configs.ToDictionary(c => c.Name);
        Assert.Equal(("60000", false), (configs["retention.ms"].Value, configs["retention.ms"].IsDefault));
        Assert.True(configs["cleanup.policy"].IsDefault);
        Assert.Equal("delete", configs["cleanup.policy"].Value);
        Assert.Equal([], configs.Values.Where(c => c.Name != "retention.ms" && !c.IsDefault).Select(c => c.Name));
    }

    [Fact]
    public async Task DescribeLogDirsV0_ListsTheDataDirectoryAndTheAskedPartition()
    {
        await _broker.CreateTopicAsync("legacy-dirs", 2);

        var response = await ExchangeAsync(35, 0, new LegacyRequest().Array(["legacy-dirs"], (w, name) => w.String(name).Array([1], (w2, p) => w2.Int32(p))));

        Assert.Equal(0, response.Int32()); // throttle_time_ms
        var directory = Assert.Single(response.Array(r => (Error: r.Int16(), Dir: r.String(),
            Topics: r.Array(t => (Name: t.String(), Partitions: t.Array(p => (p.Int32(), p.Int64(), p.Int64(), p.Bool()))!))!))!);
        Assert.True(response.AtEnd, "bytes left after the DescribeLogDirs v0 response");
        Assert.Equal((short)0, directory.Error);
        Assert.Equal(Path.GetFullPath(_broker.Broker.DataDirectory), directory.Dir);
        Assert.Equal([("legacy-dirs", 1, 0L, 0L, false)], directory.Topics.SelectMany(t => t.Partitions.Select(p => (t.Name, p.Item1, p.Item2, p.Item3, p.Item4))));
    }

    [Fact]
    public async Task DeleteTopics_OfTheCoordinatorsStateTopics_IsInvalidRequestWithAMessage_AndBothTopicsStay()
    {
        var v0 = await ExchangeAsync(20, 0, new LegacyRequest().Array([GroupCoordinator.OffsetsTopic], (w, name) => w.String(name)).Int32(10_000));
        Assert.Equal([(GroupCoordinator.OffsetsTopic, (short)ErrorCode.InvalidRequest)], v0.Array(r => (r.String(), r.Int16())));

        await _connection.SendAsync(new DeleteTopicsRequest { TopicNames = [GroupCoordinator.OffsetsTopic, TransactionCoordinator.StateTopic], TimeoutMs = 10_000 }, 5);
        var v5 = await _connection.ReceiveAsync<DeleteTopicsResponse>(5);

        Assert.All(v5.Responses, r => Assert.Equal((short)ErrorCode.InvalidRequest, r.ErrorCode));
        Assert.All(v5.Responses, r => Assert.Contains("internal topic", r.ErrorMessage, StringComparison.Ordinal));
        Assert.True(_broker.Broker.Controller.Current.TryGetTopic(GroupCoordinator.OffsetsTopic, out _));
        Assert.True(_broker.Broker.Controller.Current.TryGetTopic(TransactionCoordinator.StateTopic, out _));
    }

    [Fact]
    public async Task ApiVersions_AdvertisesTheLegacyVersions_ProduceFrom0ForOldLibrdkafka_FetchFrom4()
    {
        await _connection.SendAsync(new ApiVersionsRequest(), 3);
        var ranges = (await _connection.ReceiveAsync<ApiVersionsResponse>(3)).ApiKeys.ToDictionary(k => (ApiKey)k.ApiKey, k => k.MinVersion);

        Assert.Equal(
            [(ApiKey.OffsetCommit, 0), (ApiKey.OffsetFetch, 0), (ApiKey.ListOffsets, 0), (ApiKey.DescribeConfigs, 0), (ApiKey.CreateTopics, 0), (ApiKey.DeleteTopics, 0), (ApiKey.DescribeLogDirs, 0), (ApiKey.Produce, 0), (ApiKey.Fetch, 4)],
            new[] { ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.ListOffsets, ApiKey.DescribeConfigs, ApiKey.CreateTopics, ApiKey.DeleteTopics, ApiKey.DescribeLogDirs, ApiKey.Produce, ApiKey.Fetch }.Select(k => (k, (int)ranges[k])));
    }

    [Theory]
    [InlineData(0, 2)] // Produce v2: a magic-1 message set
    [InlineData(1, 3)] // Fetch v3: would need down-conversion to magic 0/1
    public async Task ProduceBelowV3AndFetchBelowV4_CloseTheConnection_AsKafkaDoes_AndAppendNothing(short apiKey, short version)
    {
        await _broker.CreateTopicAsync("legacy-formats", 1);
        var body = apiKey == 0
            ? new LegacyRequest().Int16(1).Int32(10_000).Array(["legacy-formats"], (w, t) => w.String(t).Array([0], (w2, p) => w2.Int32(p).Bytes(MagicOneMessageSet())))
            : new LegacyRequest().Int32(-1).Int32(0).Int32(1).Int32(1 << 20).Array(["legacy-formats"], (w, t) => w.String(t).Array([0], (w2, p) => w2.Int32(p).Int64(0).Int32(1 << 20)));

        await _connection.SendRawAsync(body.Frame(apiKey, version, ++_correlationId));

        Assert.True(await _connection.IsClosedByBrokerAsync(TimeSpan.FromSeconds(30)), $"API {apiKey} v{version} was not refused");
        Assert.Equal(0, _broker.Broker.Replicas.GetPartition(new TopicPartition("legacy-formats", 0))!.LogEndOffset);
        await using var other = await RawKafkaConnection.ConnectAsync(_broker.BootstrapServers);
        await other.SendAsync(new ApiVersionsRequest(), 3);
        Assert.Equal(0, (await other.ReceiveAsync<ApiVersionsResponse>(3)).ErrorCode);
    }

    /// <summary>One message in the v1 format: offset, size, CRC-32 (not checked: the request is refused before), magic 1, attributes, timestamp, null key, value.</summary>
    private static byte[] MagicOneMessageSet()
    {
        var message = new LegacyRequest().Int32(0).Int8(1).Int8(0).Int64(1_700_000_000_000).Int32(-1).Bytes("old"u8.ToArray()).ToArray();
        return [.. new LegacyRequest().Int64(0).Int32(message.Length).ToArray(), .. message];
    }

    private async Task<LegacyResponse> ExchangeAsync(short apiKey, short version, LegacyRequest body)
    {
        var correlationId = ++_correlationId;
        await _connection.SendRawAsync(body.Frame(apiKey, version, correlationId));
        var frame = await _connection.ReadFrameAsync() ?? throw new IOException($"the broker closed the connection on API {apiKey} v{version}");
        var response = new LegacyResponse(frame);
        Assert.Equal(correlationId, response.CorrelationId);
        return response;
    }
}
