using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Wharf.Metadata.Etcd.Tests.Infrastructure;

/// <summary>Helpers to connect nodes and to wait on events (never on the clock).</summary>
internal static class Nodes
{
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    /// <summary>A fresh prefix, so tests sharing one etcd never see each other's keys.</summary>
    public static string FreshPrefix() => "/test-" + Guid.NewGuid().ToString("N")[..12];

    public static Task<EtcdMetadataStore> ConnectAsync(EtcdConnectString connect, int nodeId, TimeSpan? sessionTimeout = null, TimeSpan? heartbeat = null, TimeSpan? controllerSessionTimeout = null, ILoggerFactory? logs = null) =>
        EtcdMetadataStore.ConnectAsync(new EtcdMetadataOptions
        {
            Connect = connect,
            NodeId = nodeId,
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(9),
            HeartbeatInterval = heartbeat ?? TimeSpan.FromSeconds(2),
            ControllerSessionTimeout = controllerSessionTimeout ?? TimeSpan.FromSeconds(2),
        }, logs ?? NullLoggerFactory.Instance);

    /// <summary>Completes when <paramref name="condition"/> holds for a value raised by the event, or fails after the timeout.</summary>
    public static async Task<T> WaitForAsync<T>(Action<Action<T>> subscribe, Action<Action<T>> unsubscribe, Func<T, bool> condition, Func<T>? current = null, TimeSpan? timeout = null)
    {
        var seen = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(T value)
        {
            if (condition(value))
            {
                seen.TrySetResult(value);
            }
        }

        subscribe(Handler);
        try
        {
            if (current is not null && current() is { } now && condition(now))
            {
                return now;
            }

            return await seen.Task.WaitAsync(timeout ?? WaitLimit);
        }
        finally
        {
            unsubscribe(Handler);
        }
    }

    public static Task<MetadataLeadership> WaitForLeadershipAsync(IMetadataLog log, Func<MetadataLeadership, bool> condition, TimeSpan? timeout = null) =>
        WaitForAsync<MetadataLeadership>(h => log.LeadershipChanged += h, h => log.LeadershipChanged -= h, condition, () => log.Leadership, timeout);

    public static TopicRecord Topic(string name) => new(name, Guid.NewGuid());
}
