using Wharf.Client.Native;

namespace Wharf.Client;

/// <summary>The native librdkafka this assembly uses, loaded and verified on first use.</summary>
/// <remarks>
/// Reading a property loads the library if nothing has yet; if no suitable library is found it throws a
/// <see cref="DllNotFoundException"/> listing every file tried and why each was refused.
/// </remarks>
public static class Librdkafka
{
    /// <summary>librdkafka's version string (<c>rd_kafka_version_str()</c>), for example "2.16.0".</summary>
    public static string Version => LibrdkafkaLoader.Library.VersionText;

    /// <summary>librdkafka's version as <c>rd_kafka_version()</c> encodes it: 0xMMmmrrxx.</summary>
    public static int VersionNumber => LibrdkafkaLoader.Library.Version;

    /// <summary>The full path of the file that was loaded.</summary>
    public static string Path => LibrdkafkaLoader.Library.Path;
}
