using Wharf.Protocol.Messages;

namespace Wharf.Protocol.Tests;

/// <summary>
/// Property: for every API, both sides, every version the codec decodes, and several seeds, a random
/// message encodes to exactly <c>ComputeSize</c> bytes, decodes consuming every byte, and re-encodes to the
/// same bytes.
/// </summary>
public class RoundTripTests
{
    public static TheoryData<ApiKey, bool> AllMessages()
    {
        var data = new TheoryData<ApiKey, bool>();
        foreach (var api in ApiCatalog.All)
        {
            data.Add(api.Key, true);
            data.Add(api.Key, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllMessages))]
    public void EveryVersion_RandomMessage_RoundTripsByteForByte(ApiKey key, bool request)
    {
        var api = ApiCatalog.Find(key)!;
        var type = MessageType(api, request);
        for (var version = api.LowestVersion; version <= api.HighestVersion; version++)
        {
            for (var seed = 1; seed <= 20; seed++)
            {
                var message = (IApiMessage)new RandomMessageFactory(seed * 1000 + version).Create(type, 0);
                if (api.IsFlexible(version) && seed % 2 == 0)
                {
                    RandomMessageFactory.AddUnknownTaggedField(message, 9000 + seed, [1, 2, (byte)seed]);
                }

                var bytes = MessageCodec.Encode(message, version);
                var context = $"{type.Name} v{version} seed {seed * 1000 + version}";
                Assert.True(bytes.Length == message.ComputeSize(version), $"{context}: ComputeSize {message.ComputeSize(version)} != written {bytes.Length}");

                var decoded = MessageCodec.Decode(key, version, request, bytes, out var remaining);
                Assert.True(remaining == 0, $"{context}: {remaining} bytes left unread");
                Assert.IsType(type, decoded);
                var again = MessageCodec.Encode(decoded, version);
                Assert.True(bytes.AsSpan().SequenceEqual(again), $"{context}: re-encoding differs");
            }
        }
    }

    [Fact]
    public void Catalog_CoversEveryApiTheBrokerMustAdvertise()
    {
        // The advertise column of the client compatibility table: key, lowest, highest version we must decode.
        (ApiKey Key, short Low, short High)[] required =
        [
            (ApiKey.Produce, 3, 10), (ApiKey.Fetch, 4, 12), (ApiKey.ListOffsets, 1, 7), (ApiKey.Metadata, 0, 12),
            (ApiKey.OffsetCommit, 2, 8), (ApiKey.OffsetFetch, 1, 7), (ApiKey.FindCoordinator, 0, 2), (ApiKey.JoinGroup, 2, 5),
            (ApiKey.Heartbeat, 0, 3), (ApiKey.LeaveGroup, 0, 3), (ApiKey.SyncGroup, 0, 3), (ApiKey.DescribeGroups, 0, 5),
            (ApiKey.ListGroups, 0, 5), (ApiKey.SaslHandshake, 0, 1), (ApiKey.ApiVersions, 0, 3), (ApiKey.CreateTopics, 2, 4),
            (ApiKey.DeleteTopics, 1, 4), (ApiKey.DeleteRecords, 0, 2), (ApiKey.InitProducerId, 0, 4), (ApiKey.OffsetForLeaderEpoch, 2, 2),
            (ApiKey.AddPartitionsToTxn, 0, 1), (ApiKey.AddOffsetsToTxn, 0, 1), (ApiKey.EndTxn, 0, 1), (ApiKey.TxnOffsetCommit, 0, 3),
            (ApiKey.DescribeAcls, 1, 2), (ApiKey.CreateAcls, 1, 2), (ApiKey.DeleteAcls, 1, 2), (ApiKey.DescribeConfigs, 1, 2),
            (ApiKey.AlterConfigs, 0, 2), (ApiKey.SaslAuthenticate, 0, 1), (ApiKey.CreatePartitions, 0, 2), (ApiKey.DeleteGroups, 0, 2),
            (ApiKey.IncrementalAlterConfigs, 0, 1), (ApiKey.OffsetDelete, 0, 0), (ApiKey.DescribeCluster, 0, 0),
            (ApiKey.DescribeProducers, 0, 0), (ApiKey.ListTransactions, 0, 0), (ApiKey.DescribeTransactions, 0, 0),
            (ApiKey.DescribeLogDirs, 1, 1), (ApiKey.WriteTxnMarkers, 0, 1),
        ];
        foreach (var (key, low, high) in required)
        {
            var api = ApiCatalog.Find(key);
            Assert.True(api is not null, $"{key} is missing from the catalog");
            Assert.True(api.LowestVersion <= low && api.HighestVersion >= high, $"{key}: codec decodes {api.LowestVersion}-{api.HighestVersion}, needs {low}-{high}");
        }
    }

    [Fact]
    public void ApiVersionsResponse_AlwaysUsesResponseHeaderV0()
    {
        var api = ApiCatalog.Find(ApiKey.ApiVersions)!;
        Assert.True(api.IsFlexible(3));
        Assert.Equal(2, api.RequestHeaderVersion(3));
        Assert.Equal(0, api.ResponseHeaderVersion(3));
        Assert.Equal(1, ApiCatalog.Find(ApiKey.Metadata)!.ResponseHeaderVersion(9));
        Assert.Equal(0, ApiCatalog.Find(ApiKey.Metadata)!.ResponseHeaderVersion(8));
    }

    private static Type MessageType(ApiInfo api, bool request) =>
        typeof(ProduceRequest).Assembly.GetType($"Wharf.Protocol.Messages.{api.Name}{(request ? "Request" : "Response")}", throwOnError: true)!;
}
