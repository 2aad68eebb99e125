using Wharf.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Wharf.Configuration;

namespace Wharf.Metadata;

/// <summary>A data directory belongs to another node or cluster than the configuration says.</summary>
public sealed class MetaPropertiesException(string message) : Exception(message);

/// <summary>
/// <c>&lt;data dir&gt;/meta.properties</c>, Kafka's identity file of a data directory, in properties format:
/// <code>
/// version=1
/// cluster.id=&lt;22-character base64url id&gt;
/// node.id=1
/// </code>
/// Written (atomically) on first start, with a new cluster id unless <c>cluster.id</c> is configured; read on
/// every later start. A node id or cluster id that differs from the configuration is a startup error, so a data
/// directory is never silently taken over by another node. Immutable.
/// </summary>
public sealed record MetaProperties(string ClusterId, int NodeId, int Version = 1)
{
    public const string FileName = "meta.properties";

    /// <summary>Reads the file in <paramref name="dataDir"/>, or null when there is none.</summary>
    /// <exception cref="MetaPropertiesException">the file lacks a key or has a bad value.</exception>
    public static MetaProperties? Read(string dataDir)
    {
        var path = Path.Combine(dataDir, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        var values = PropertiesFile.Load(path).ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
        string Required(string key) => values.TryGetValue(key, out var v) && v.Length > 0
            ? v
            : throw new MetaPropertiesException($"{path} has no '{key}'.");
        int Number(string key) => int.TryParse(Required(key), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new MetaPropertiesException($"{path}: '{key}' is not a number.");

        var version = Number("version");
        return version == 1
            ? new MetaProperties(Required("cluster.id"), Number("node.id"), version)
            : throw new MetaPropertiesException($"{path} has version {version}; this Wharf understands version 1.");
    }

    /// <summary>Writes the file into <paramref name="dataDir"/> atomically (through <paramref name="disk"/>, the machine's by default).</summary>
    public void Write(string dataDir, IDisk? disk = null)
    {
        Directory.CreateDirectory(dataDir);
        var text = new StringBuilder()
            .Append("# Identity of this data directory, written by Wharf on first start. Do not edit.\n")
            .Append(CultureInfo.InvariantCulture, $"version={Version}\n")
            .Append(CultureInfo.InvariantCulture, $"cluster.id={ClusterId}\n")
            .Append(CultureInfo.InvariantCulture, $"node.id={NodeId}\n")
            .ToString();
        DurableFiles.WriteAtomically(disk ?? LocalDisk.Instance, Path.Combine(dataDir, FileName), Encoding.UTF8.GetBytes(text));
    }

    /// <summary>
    /// The identity of <paramref name="dataDir"/>: read and checked against the configuration, or created on
    /// first start (with <paramref name="configuredClusterId"/> or a new id).
    /// </summary>
    /// <exception cref="MetaPropertiesException">the directory belongs to another node id or cluster id.</exception>
    public static MetaProperties LoadOrCreate(string dataDir, int nodeId, string? configuredClusterId, IDisk? disk = null)
    {
        var path = Path.Combine(dataDir, FileName);
        if (Read(dataDir) is { } existing)
        {
            if (existing.NodeId != nodeId)
            {
                throw new MetaPropertiesException(
                    $"node.id {nodeId} does not match node.id {existing.NodeId} in {path}: this data directory belongs to node " +
                    $"{existing.NodeId}. Start with node.id={existing.NodeId}, or point log.dirs at another directory.");
            }

            if (configuredClusterId is not null && configuredClusterId != existing.ClusterId)
            {
                throw new MetaPropertiesException(
                    $"cluster.id {configuredClusterId} does not match cluster.id {existing.ClusterId} in {path}: this data directory " +
                    "belongs to another cluster.");
            }

            return existing;
        }

        var created = new MetaProperties(configuredClusterId ?? NewClusterId(), nodeId);
        created.Write(dataDir, disk);
        return created;
    }

    /// <summary>A random cluster id in Kafka's form: 16 random bytes as 22 base64url characters, never starting with '-'.</summary>
    public static string NewClusterId()
    {
        Span<byte> bytes = stackalloc byte[16];
        string id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        }
        while (id.StartsWith('-'));

        return id;
    }
}
