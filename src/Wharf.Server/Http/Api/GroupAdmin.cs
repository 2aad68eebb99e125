using System.Buffers.Binary;
using System.Text;
using Wharf.Common;
using Wharf.Protocol.Messages;

namespace Wharf.Server.Http.Api;

/// <summary>
/// The group routes of the admin API. The list asks every broker for the groups it coordinates (ListGroups), so it
/// holds classic, consumer and share groups. A group's detail is asked of its coordinator: DescribeGroups and
/// OffsetFetch for a classic or consumer group, ShareGroupDescribe and DescribeShareGroupOffsets for a share group;
/// log end offsets (high watermarks) come from the partitions' leaders, and lag is their distance to the committed
/// offset (null when nothing is committed). Thread-safety: stateless.
/// </summary>
public sealed class GroupAdmin(ClusterClient cluster)
{
    public async Task<GroupList> GroupsAsync(CancellationToken cancellationToken)
    {
        var metadata = await cluster.MetadataAsync([], cancellationToken).ConfigureAwait(false);
        var answers = await Task.WhenAll(metadata.Brokers.Select(async broker =>
        {
            try
            {
                var response = await cluster.SendAsync<ListGroupsRequest, ListGroupsResponse>(broker.NodeId, new ListGroupsRequest(), 5, cancellationToken).ConfigureAwait(false);
                return response.ErrorCode == 0 ? response.Groups.Select(g => Summary(g, broker.NodeId)).ToList() : [];
            }
            catch (IOException)
            {
                return [];
            }
        })).ConfigureAwait(false);
        return new GroupList([.. answers.SelectMany(a => a).DistinctBy(g => g.GroupId).OrderBy(g => g.GroupId, StringComparer.Ordinal)]);
    }

    public async Task<GroupDetail> GroupAsync(string groupId, CancellationToken cancellationToken)
    {
        var coordinator = await cluster.CoordinatorAsync(groupId, cancellationToken).ConfigureAwait(false);
        var listed = await cluster.SendAsync<ListGroupsRequest, ListGroupsResponse>(coordinator, new ListGroupsRequest(), 5, cancellationToken).ConfigureAwait(false);
        var group = listed.Groups.FirstOrDefault(g => g.GroupId == groupId)
            ?? throw ApiException.NotFound("GROUP_ID_NOT_FOUND", $"group '{groupId}' does not exist");
        var summary = Summary(group, coordinator);
        return summary.Type == "share"
            ? await ShareGroupAsync(summary, cancellationToken).ConfigureAwait(false)
            : await ConsumerGroupAsync(summary, cancellationToken).ConfigureAwait(false);
    }

    private async Task<GroupDetail> ConsumerGroupAsync(GroupSummary summary, CancellationToken cancellationToken)
    {
        var described = await cluster.SendAsync<DescribeGroupsRequest, DescribeGroupsResponse>(summary.Coordinator, new DescribeGroupsRequest { Groups = [summary.GroupId] }, 5, cancellationToken).ConfigureAwait(false);
        var group = described.Groups.Single();
        if (group.ErrorCode != 0)
        {
            throw ApiException.FromKafka((ErrorCode)group.ErrorCode, null, $"describing group '{summary.GroupId}'");
        }

        var fetched = await cluster.SendAsync<OffsetFetchRequest, OffsetFetchResponse>(summary.Coordinator, new OffsetFetchRequest { GroupId = summary.GroupId, Topics = null }, 7, cancellationToken).ConfigureAwait(false);
        if (fetched.ErrorCode != 0)
        {
            throw ApiException.FromKafka((ErrorCode)fetched.ErrorCode, null, $"reading the offsets of group '{summary.GroupId}'");
        }

        var committed = fetched.Topics.SelectMany(t => t.Partitions.Where(p => p.ErrorCode == 0)
            .Select(p => (Topic: t.Name, p.PartitionIndex, Offset: p.CommittedOffset >= 0 ? p.CommittedOffset : (long?)null, p.Metadata))).ToList();
        var members = group.Members.Select(m => new MemberView(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
            group.ProtocolType == "consumer" ? ConsumerAssignment(m.MemberAssignment) : [])).ToList();
        var offsets = await WithLagAsync(committed, cancellationToken).ConfigureAwait(false);
        return new GroupDetail(summary.GroupId, summary.Type, group.GroupState, group.ProtocolType, group.ProtocolData.Length == 0 ? null : group.ProtocolData,
            summary.Coordinator, members, offsets, offsets.Sum(o => o.Lag ?? 0));
    }

    private async Task<GroupDetail> ShareGroupAsync(GroupSummary summary, CancellationToken cancellationToken)
    {
        var described = await cluster.SendAsync<ShareGroupDescribeRequest, ShareGroupDescribeResponse>(summary.Coordinator, new ShareGroupDescribeRequest { GroupIds = [summary.GroupId] }, 1, cancellationToken).ConfigureAwait(false);
        var group = described.Groups.Single();
        if (group.ErrorCode != 0)
        {
            throw ApiException.FromKafka((ErrorCode)group.ErrorCode, group.ErrorMessage, $"describing share group '{summary.GroupId}'");
        }

        var request = new DescribeShareGroupOffsetsRequest { Groups = [new() { GroupId = summary.GroupId, Topics = null }] };
        var fetched = await cluster.SendAsync<DescribeShareGroupOffsetsRequest, DescribeShareGroupOffsetsResponse>(summary.Coordinator, request, 1, cancellationToken).ConfigureAwait(false);
        var offsetsGroup = fetched.Groups.Single();
        if (offsetsGroup.ErrorCode != 0)
        {
            throw ApiException.FromKafka((ErrorCode)offsetsGroup.ErrorCode, offsetsGroup.ErrorMessage, $"reading the offsets of share group '{summary.GroupId}'");
        }

        var started = offsetsGroup.Topics.SelectMany(t => t.Partitions.Where(p => p.ErrorCode == 0)
            .Select(p => (Topic: t.TopicName, p.PartitionIndex, Offset: p.StartOffset >= 0 ? p.StartOffset : (long?)null, Metadata: (string?)null))).ToList();
        var members = group.Members.Select(m => new MemberView(m.MemberId, null, m.ClientId, m.ClientHost,
            [.. m.Assignment.TopicPartitions.Select(a => new MemberAssignmentView(a.TopicName, [.. a.Partitions.Order()]))])).ToList();
        var offsets = await WithLagAsync(started, cancellationToken).ConfigureAwait(false);
        return new GroupDetail(summary.GroupId, "share", group.GroupState, "share", group.AssignorName, summary.Coordinator, members, offsets, offsets.Sum(o => o.Lag ?? 0));
    }

    /// <summary>Adds each partition's log end offset (its high watermark, from its leader) and the lag behind it.</summary>
    private async Task<List<GroupOffsetView>> WithLagAsync(List<(string Topic, int Partition, long? Offset, string? Metadata)> committed, CancellationToken cancellationToken)
    {
        var topics = committed.Select(c => c.Topic).Distinct().ToList();
        var ends = new Dictionary<(string, int), long>();
        if (topics.Count > 0)
        {
            var metadata = await cluster.MetadataAsync(topics, cancellationToken).ConfigureAwait(false);
            foreach (var topic in metadata.Topics.Where(t => t.ErrorCode == 0 && t.Name is not null))
            {
                var wanted = committed.Where(c => c.Topic == topic.Name).Select(c => c.Partition).ToHashSet();
                var leaders = topic.Partitions.Where(p => wanted.Contains(p.PartitionIndex)).Select(p => (p.PartitionIndex, p.LeaderId));
                foreach (var (partition, end) in await cluster.ListOffsetsAsync(topic.Name!, leaders, -1, cancellationToken).ConfigureAwait(false))
                {
                    ends[(topic.Name!, partition)] = end;
                }
            }
        }

        return [.. committed.OrderBy(c => c.Topic, StringComparer.Ordinal).ThenBy(c => c.Partition).Select(c =>
        {
            long? end = ends.TryGetValue((c.Topic, c.Partition), out var known) ? known : null;
            long? lag = end is { } e && c.Offset is { } o ? Math.Max(0, e - o) : null;
            return new GroupOffsetView(c.Topic, c.Partition, c.Offset, end, lag, c.Metadata);
        })];
    }

    private static GroupSummary Summary(ListGroupsResponse.ListedGroup group, int coordinator)
    {
        var type = string.IsNullOrEmpty(group.GroupType) ? "classic" : group.GroupType.ToLowerInvariant();
        return new GroupSummary(group.GroupId, type, group.ProtocolType, group.GroupState, coordinator);
    }

    /// <summary>
    /// Decodes a consumer protocol assignment (version int16, then topics: name string, partitions int32 array, then user
    /// data); an unreadable one is shown as no assignment rather than failing the request.
    /// </summary>
    internal static List<MemberAssignmentView> ConsumerAssignment(byte[] assignment)
    {
        var result = new List<MemberAssignmentView>();
        try
        {
            var span = assignment.AsSpan();
            if (span.Length < 6)
            {
                return result;
            }

            var position = 2;
            var topics = BinaryPrimitives.ReadInt32BigEndian(span[position..]);
            position += 4;
            for (var t = 0; t < topics && t < 100_000; t++)
            {
                var nameLength = BinaryPrimitives.ReadInt16BigEndian(span[position..]);
                position += 2;
                var name = Encoding.UTF8.GetString(span.Slice(position, nameLength));
                position += nameLength;
                var count = BinaryPrimitives.ReadInt32BigEndian(span[position..]);
                position += 4;
                var partitions = new List<int>();
                for (var p = 0; p < count && p < 1_000_000; p++)
                {
                    partitions.Add(BinaryPrimitives.ReadInt32BigEndian(span[position..]));
                    position += 4;
                }

                result.Add(new MemberAssignmentView(name, [.. partitions.Order()]));
            }

            return result;
        }
        catch (ArgumentOutOfRangeException)
        {
            return [];
        }
    }
}
