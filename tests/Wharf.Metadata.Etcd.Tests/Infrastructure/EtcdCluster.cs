using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Etcdserverpb;
using Grpc.Net.Client;

namespace Wharf.Metadata.Etcd.Tests.Infrastructure;

/// <summary>
/// Real etcd members started by a test (Debian's <c>etcd-server</c>): one or more members on distinct
/// 127.0.0.1 ports with temporary data directories. Members can be killed with SIGKILL and started again on the same
/// data. <see cref="DisposeAsync"/> kills every member it started (by process id) and deletes the directories, so no
/// etcd is left behind. Thread-safety: one test drives one cluster.
/// </summary>
public sealed class EtcdCluster : IAsyncDisposable
{
    private static readonly Lazy<string?> EtcdPath = new(() => FindOnPath("etcd"));
    private readonly string _root = Directory.CreateTempSubdirectory("wharf-etcd-").FullName;
    private readonly List<Member> _members = [];

    private EtcdCluster()
    {
    }

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.Ordinal);

    /// <summary>Why etcd cannot be started, or null.</summary>
    public static string? MissingReason => EtcdPath.Value is null ? "etcd is not on PATH (apt-get install etcd-server; scripts/install-test-tools.sh does)" : null;

    public IReadOnlyList<Member> Members => _members;

    /// <summary>The connect string naming every member, with <paramref name="prefix"/>.</summary>
    public EtcdConnectString Connect(string prefix, params int[] members) =>
        new([.. (members.Length == 0 ? _members : members.Select(i => _members[i])).Select(m => new EtcdEndpoint("127.0.0.1", m.ClientPort))], prefix);

    /// <summary>Starts <paramref name="size"/> members and waits until they have a raft leader.</summary>
    public static async Task<EtcdCluster> StartAsync(int size)
    {
        if (MissingReason is { } reason)
        {
            throw new Xunit.Sdk.XunitException($"etcd is required{(IsCi ? " under CI=true" : string.Empty)} but missing: {reason}");
        }

        var cluster = new EtcdCluster();
        try
        {
            for (var i = 0; i < size; i++)
            {
                cluster._members.Add(new Member($"m{i + 1}", FreePort(), FreePort(), Path.Combine(cluster._root, $"m{i + 1}")));
            }

            var initial = string.Join(',', cluster._members.Select(m => $"{m.Name}=http://127.0.0.1:{m.PeerPort}"));
            var token = Guid.NewGuid().ToString("N");
            foreach (var member in cluster._members)
            {
                member.Arguments = $"--name {member.Name} --data-dir {member.DataDir} " +
                    $"--listen-client-urls http://127.0.0.1:{member.ClientPort} --advertise-client-urls http://127.0.0.1:{member.ClientPort} " +
                    $"--listen-peer-urls http://127.0.0.1:{member.PeerPort} --initial-advertise-peer-urls http://127.0.0.1:{member.PeerPort} " +
                    $"--initial-cluster {initial} --initial-cluster-state new --initial-cluster-token {token}";
                member.Start();
            }

            await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(20));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The index of the member that is the raft leader now.</summary>
    public async Task<int> LeaderAsync()
    {
        foreach (var member in _members.Where(m => m.IsRunning))
        {
            var status = await member.StatusAsync();
            if (status is not null && status.Leader != 0)
            {
                for (var i = 0; i < _members.Count; i++)
                {
                    var other = await _members[i].StatusAsync();
                    if (other?.Header.MemberId == status.Leader)
                    {
                        return i;
                    }
                }
            }
        }

        throw new InvalidOperationException("no etcd member knows a leader");
    }

    /// <summary>Waits until a running member reports a raft leader.</summary>
    public async Task WaitForLeaderAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            foreach (var member in _members.Where(m => m.IsRunning))
            {
                if (await member.StatusAsync() is { Leader: not 0 })
                {
                    return;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"etcd had no leader within {timeout}; logs in {_root}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in _members)
        {
            member.Kill();
        }

        await Task.Yield();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>One etcd process (restartable on its data directory).</summary>
    public sealed class Member(string name, int clientPort, int peerPort, string dataDir)
    {
        private Process? _process;

        public string Name { get; } = name;

        public int ClientPort { get; } = clientPort;

        public int PeerPort { get; } = peerPort;

        public string DataDir { get; } = dataDir;

        internal string Arguments { get; set; } = string.Empty;

        public bool IsRunning => _process is { HasExited: false };

        public void Start()
        {
            var log = DataDir + ".log";

            // exec: the shell becomes etcd, so the process id we hold is etcd's own and SIGKILL reaches it.
            _process = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"exec {EtcdPath.Value} {Arguments} >>{log} 2>&1"]) { UseShellExecute = false })
                ?? throw new InvalidOperationException("etcd did not start");
        }

        /// <summary>SIGKILL (kill -9), then waits for the process to be gone.</summary>
        public void Kill()
        {
            if (_process is { } process)
            {
                try
                {
                    process.Kill();
                    process.WaitForExit(5000);
                }
                catch (InvalidOperationException)
                {
                }

                process.Dispose();
                _process = null;
            }
        }

        /// <summary>The member's status, or null when it does not answer within a second.</summary>
        public async Task<StatusResponse?> StatusAsync()
        {
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{ClientPort}");
            try
            {
                return await new Maintenance.MaintenanceClient(channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(1));
            }
            catch (Grpc.Core.RpcException)
            {
                return null;
            }
        }
    }
}
