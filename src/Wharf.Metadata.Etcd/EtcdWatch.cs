using System.Runtime.CompilerServices;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace Wharf.Metadata.Etcd;

/// <summary>What an <see cref="EtcdWatch"/> delivers: events at a revision, or the news that the start was compacted.</summary>
/// <param name="Events">the events of one etcd revision or more, in revision order (empty for a compaction).</param>
/// <param name="CompactRevision">non-zero when the watch could not continue: history before it is gone, re-read the range.</param>
internal readonly record struct EtcdWatchItem(IReadOnlyList<Event> Events, long CompactRevision);

/// <summary>
/// A watch over a key range from a revision that survives member loss: when the stream fails (member killed,
/// connection reset, member without a raft leader) it is opened again — on whichever member the channel picks — from
/// the revision after the last event delivered, so nothing is skipped or repeated. When etcd answers that the next
/// revision was compacted away, the watch delivers one item with <see cref="EtcdWatchItem.CompactRevision"/> set and
/// ends: the caller re-reads the range at the current revision and watches again.
/// Thread-safety: one enumeration is used by one reader; separate enumerations are independent.
/// </summary>
internal static class EtcdWatch
{
    public static async IAsyncEnumerable<EtcdWatchItem> RunAsync(
        EtcdConnection etcd, ByteString key, ByteString rangeEnd, long startRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var next = startRevision;
        var backoff = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stream = Open(etcd, key, rangeEnd, next, cancellationToken);
            await using var responses = stream.GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                EtcdWatchItem item;
                try
                {
                    if (!await responses.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    item = responses.Current;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RpcException or IOException or InvalidOperationException or HttpRequestException)
                {
                    etcd.Logger.LogDebug("etcd watch from revision {Revision} broke ({Error}); opening it again", next, e.Message);
                    break;
                }

                if (item.CompactRevision != 0)
                {
                    yield return item;
                    yield break;
                }

                if (item.Events.Count > 0)
                {
                    next = item.Events[^1].Kv.ModRevision + 1;
                    backoff = TimeSpan.FromMilliseconds(50);
                    yield return item;
                }
            }

            await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>One watch stream; ends (or throws) when the stream does.</summary>
    private static async IAsyncEnumerable<EtcdWatchItem> Open(
        EtcdConnection etcd, ByteString key, ByteString rangeEnd, long startRevision, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var call = etcd.Watch.Watch(EtcdConnection.WatchCallOptions(cancellationToken));
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = key, RangeEnd = rangeEnd, StartRevision = startRevision },
        }, cancellationToken).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            var response = call.ResponseStream.Current;
            if (response.Canceled)
            {
                if (response.CompactRevision != 0)
                {
                    yield return new EtcdWatchItem([], response.CompactRevision);
                    yield break;
                }

                throw new IOException($"etcd cancelled the watch: {response.CancelReason}");
            }

            if (response.Events.Count > 0)
            {
                yield return new EtcdWatchItem(response.Events, 0);
            }
        }
    }
}
