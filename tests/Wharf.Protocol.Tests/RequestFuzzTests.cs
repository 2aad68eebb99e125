using System.Buffers;
using Wharf.Protocol.Codec;
using Xunit.Abstractions;

namespace Wharf.Protocol.Tests;

/// <summary>
/// Seeded mutation fuzzing of whole request frames (header + body) through <see cref="RequestDecoder"/>.
/// Contract: malformed input raises <see cref="ProtocolDecodeException"/> and nothing else, and the bytes
/// allocated are bounded by a constant factor of the frame size (never by a length the frame claims).
/// </summary>
public class RequestFuzzTests(ITestOutputHelper output)
{
    private const int Frames = 1_000_000;
    private const int Seed = 20261125;

    /// <summary>Objects per decoded byte: a one-byte array element can become a small object plus a list slot.</summary>
    private const int AllocationFactor = 64;

    [Fact]
    public void MillionMutatedFrames_RaiseOnlyDecodeErrors_AndAllocateInProportionToInput()
    {
        var random = new Random(Seed);
        var corpus = BuildCorpus(random);
        var decoded = 0;
        var rejected = 0;
        for (var i = 0; i < Frames; i++)
        {
            var original = corpus[random.Next(corpus.Count)];
            var frame = Mutate(original, random);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                RequestDecoder.Decode(new ReadOnlySequence<byte>(frame));
                decoded++;
            }
            catch (ProtocolDecodeException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"frame {i} (seed {Seed}): {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(frame)}");
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > (long)frame.Length * AllocationFactor + 8192)
            {
                Assert.Fail($"frame {i} (seed {Seed}) of {frame.Length} bytes allocated {allocated} bytes\n{Convert.ToHexString(frame)}");
            }
        }

        output.WriteLine($"{Frames} frames from {corpus.Count} valid ones (seed {Seed}): {decoded} decoded, {rejected} rejected with DecodeError.");

        // Both outcomes must really happen, or the mutations are too weak or too strong to test anything.
        Assert.True(decoded > Frames / 100, $"only {decoded} frames decoded");
        Assert.True(rejected > Frames / 100, $"only {rejected} frames rejected");
    }

    /// <summary>One valid frame for every API and version, filled with seeded random values.</summary>
    private static List<byte[]> BuildCorpus(Random random)
    {
        var corpus = new List<byte[]>();
        foreach (var api in ApiCatalog.All)
        {
            var type = typeof(RequestDecoder).Assembly.GetType($"Wharf.Protocol.Messages.{api.Name}Request", throwOnError: true)!;
            for (var version = api.LowestVersion; version <= api.HighestVersion; version++)
            {
                var body = (IKafkaMessage)new RandomMessageFactory(random.Next()).Create(type, 0);
                var header = new RequestHeader { ApiKey = api.Key, ApiVersion = version, CorrelationId = random.Next(), ClientId = "fuzz" };
                var buffer = new ArrayBufferWriter<byte>();
                var writer = new KafkaWriter(buffer);
                header.Write(ref writer, api.RequestHeaderVersion(version));
                body.Write(ref writer, version);
                writer.Flush();
                corpus.Add(buffer.WrittenSpan.ToArray());
            }
        }

        return corpus;
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var frame = (byte[])original.Clone();
        var mutations = random.Next(1, 4);
        for (var m = 0; m < mutations && frame.Length > 0; m++)
        {
            var at = random.Next(frame.Length);
            switch (random.Next(6))
            {
                case 0:
                    frame[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    frame[at] = (byte)(random.Next(2) == 0 ? 0xFF : 0x7F);
                    break;
                case 2:
                    frame[at] = (byte)random.Next(256);
                    break;
                case 3:
                    Array.Resize(ref frame, at);
                    break;
                case 4:
                    // A length-looking field set to a huge value.
                    if (at + 4 <= frame.Length)
                    {
                        frame[at] = 0x7F;
                        frame[at + 1] = frame[at + 2] = frame[at + 3] = 0xFF;
                    }

                    break;
                default:
                    // A run of varint continuation bytes.
                    for (var k = at; k < Math.Min(frame.Length, at + 6); k++)
                    {
                        frame[k] = 0xFF;
                    }

                    break;
            }
        }

        return frame;
    }
}
