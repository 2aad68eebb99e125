namespace Wharf.Testing;

/// <summary>
/// A real etcd for tests — one member or an ensemble of several (<see cref="StartAsync(int, CancellationToken)"/>) — of
/// the <c>etcd</c> found on PATH (Debian: <c>apt-get install etcd-server</c>): client and peer ports are free ports on
/// 127.0.0.1 and the data lives in a fresh temporary directory. <see cref="StartAsync(CancellationToken)"/> returns
/// once etcd answers <c>/health</c>; <see cref="DisposeAsync"/> kills exactly the processes it started (SIGKILL, by
/// process id) and deletes the directory. A member of an ensemble can be killed and restarted
/// (<see cref="Members"/>) as a fault. Usually started for you by <see cref="WharfCluster"/>; start one yourself to put
/// something (a proxy) between it and a broker and pass it in <see cref="WharfClusterOptions.Etcd"/>.
/// Thread-safety: start and dispose from one thread; <see cref="Output"/> may be read from any.
/// </summary>
public sealed class EtcdServer : IAsyncDisposable
{
    private static readonly Lazy<string?> EtcdPath = new(() => LocalProcesses.FindOnPath("etcd"));
    private readonly string _directory;

    private EtcdServer(IReadOnlyList<EtcdMember> members, string directory)
    {
        Members = members;
        _directory = directory;
    }

    /// <summary>Why no etcd can be started here (it is not on PATH), or null when it can.</summary>
    public static string? MissingReason => EtcdPath.Value is null
        ? "etcd is not on PATH; install it (Debian: apt-get install etcd-server)"
        : null;

    /// <summary>Every member, in start order.</summary>
    public IReadOnlyList<EtcdMember> Members { get; }

    /// <summary>The client port of the first member.</summary>
    public int ClientPort => Members[0].ClientPort;

    /// <summary><c>127.0.0.1:port</c> of the first member's client URL, the form <c>etcd.connect</c> takes.</summary>
    public string Endpoint => Members[0].Endpoint;

    /// <summary>Every member's client address, comma-separated: the host list of <c>etcd.connect</c>.</summary>
    public string Endpoints => string.Join(',', Members.Select(m => m.Endpoint));

    /// <summary>What the first member printed so far.</summary>
    public IReadOnlyList<string> Output => Members[0].Log.Lines();

    internal IEnumerable<ProcessLog> Logs => Members.Select(m => m.Log);

    /// <summary>Starts a single-member etcd and waits until it is healthy (it has elected itself leader).</summary>
    /// <exception cref="InvalidOperationException">etcd is not on PATH, or did not become healthy (with its output).</exception>
    public static Task<EtcdServer> StartAsync(CancellationToken cancellationToken = default) => StartAsync(1, cancellationToken);

    /// <summary>Starts an ensemble of <paramref name="members"/> and waits until every member is healthy (they have a raft leader).</summary>
    /// <exception cref="InvalidOperationException">etcd is not on PATH, or did not become healthy (with its output).</exception>
    public static async Task<EtcdServer> StartAsync(int members, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(members, 1);
        var etcd = EtcdPath.Value ?? throw new InvalidOperationException(MissingReason);
        for (var attempt = 1; ; attempt++)
        {
            var server = Launch(etcd, members);
            try
            {
                await Task.WhenAll(server.Members.Select(m => m.WaitUntilHealthyAsync(cancellationToken))).ConfigureAwait(false);
                return server;
            }
            catch (InvalidOperationException) when (attempt < 3 && server.Logs.Any(l => l.Lines().Any(line => line.Contains("address already in use", StringComparison.Ordinal))))
            {
                // Another process took one of the free ports between our check and etcd's bind: try new ones.
                await server.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var member in Members)
        {
            await member.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static EtcdServer Launch(string etcd, int count)
    {
        var directory = Directory.CreateTempSubdirectory("wharf-etcd-").FullName;
        var ports = Enumerable.Range(1, count).Select(i => (Name: count == 1 ? "wharf-test" : $"wharf-test-{i}", Client: LocalProcesses.FreePort(), Peer: LocalProcesses.FreePort())).ToArray();
        var initialCluster = string.Join(',', ports.Select(p => $"{p.Name}=http://127.0.0.1:{p.Peer}"));
        var token = Guid.NewGuid().ToString("N");
        var members = ports.Select(p => new EtcdMember(etcd, p.Name, p.Client, p.Peer, Path.Combine(directory, p.Name), initialCluster, token)).ToArray();
        foreach (var member in members)
        {
            member.Start();
        }

        return new EtcdServer(members, directory);
    }
}
