using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Wharf.Protocol;
using Wharf.Protocol.Codec;

namespace Wharf.Network.Tests;

/// <summary>
/// Records sent from a file with sendfile: a <see cref="FileRegion"/> reads its range, is the open file itself (not
/// whatever now has its name), becomes a file piece in <see cref="ResponseWriter"/>, and goes out over a real socket between the encoded
/// bytes around it, in order with the responses before and after it.
/// </summary>
public sealed class FileRegionTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"wharf-file-region-{Guid.NewGuid():N}.log");
    private readonly byte[] _contents = Frames.Payload(3 * 1024 * 1024 + 17, 42);

    public FileRegionTests() => File.WriteAllBytes(_path, _contents);

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void Region_ReadsItsRange_AndStaysReadableAfterTheFileIsDeletedAndItsHandleClosed()
    {
        FileRegion region;
        using (var original = File.OpenHandle(_path))
        {
            region = FileRegion.TryOpen(original, 1000, 50_000) ?? throw new InvalidOperationException("could not open");
        }

        File.Delete(_path);

        using (region)
        {
            Assert.Equal(50_000, region.Memory.Length);
            Assert.True(region.Memory.Span.SequenceEqual(_contents.AsSpan(1000, 50_000)));
        }
    }

    [Fact]
    public void TheRegionIsTheOpenFile_EvenWhenAnotherFileNowHasItsName()
    {
        using var original = File.OpenHandle(_path);
        File.Delete(_path);
        File.WriteAllBytes(_path, new byte[_contents.Length]); // a compacted segment under the same name

        using var region = FileRegion.TryOpen(original, 0, 4096)!;

        Assert.True(region.Memory.Span.SequenceEqual(_contents.AsSpan(0, 4096)));
    }

    [Fact]
    public void AClosedHandle_GivesNoRegion()
    {
        var original = File.OpenHandle(_path);
        original.Dispose();

        Assert.Null(FileRegion.TryOpen(original, 0, 10));
    }

    [Fact]
    public void ResponseWriter_TurnsTheRegionIntoAFilePiece_BetweenTheEncodedBytes()
    {
        using var original = File.OpenHandle(_path);
        using var region = FileRegion.TryOpen(original, 4096, 100_000)!;
        using var writer = new ResponseWriter();

        writer.Add(new OutgoingResponse(9, 0, 0, new RecordsBody(new ReadOnlySequence<byte>(region.Memory))));

        Assert.Equal(3, writer.Pending.Count);
        var file = writer.Pending[1];
        Assert.Same(region, file.File);
        Assert.Equal((4096L, 100_000), (file.FileOffset, file.FileLength));
        Assert.Equal(4 + 4 + 4 + 100_000 + 4, writer.PendingBytes);
        Assert.Equal(12, writer.Pending[0].Bytes.Count); // size prefix, correlation id, records length
        Assert.Equal(100_000, BinaryPrimitives.ReadInt32BigEndian(writer.Pending[0].Bytes.AsSpan(8)));
        Assert.Equal(4, writer.Pending[2].Bytes.Count);
        Assert.Equal(0x7E57, BinaryPrimitives.ReadInt32BigEndian(writer.Pending[2].Bytes.AsSpan()));
    }

    [Fact]
    public async Task OverASocket_TheFilePieceArrivesInPlace_AndTheNextResponseAfterIt()
    {
        using var original = File.OpenHandle(_path);
        var processor = new FileProcessor(original, offset: 17, length: _contents.Length - 17);
        using var logs = new CapturingLoggerFactory();
        await using var listener = Exchange.Listen(processor, loggerFactory: logs);
        using var client = await Loopback.ConnectAsync(listener.LocalEndPoint);

        await client.SendAllAsync(Frames.Request(ApiKey.Fetch, 1, [1]));
        await client.SendAllAsync(Frames.Request(ApiKey.Fetch, 2, [0]));

        var first = await client.ReadFrameAsync() ?? throw new InvalidOperationException("closed: " + string.Join("; ", logs.Entries.Select(e => e.Message)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(first));
        Assert.Equal(_contents.Length - 17, BinaryPrimitives.ReadInt32BigEndian(first.AsSpan(4)));
        Assert.True(first.AsSpan(8, _contents.Length - 17).SequenceEqual(_contents.AsSpan(17)), "file bytes changed on the way");
        Assert.Equal(0x7E57, BinaryPrimitives.ReadInt32BigEndian(first.AsSpan(8 + _contents.Length - 17)));
        var second = await client.ReadFrameAsync() ?? throw new InvalidOperationException("closed");
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(second));
        Assert.Equal(2, await processor.Released.Task.WaitAsync(Loopback.Timeout));
    }

    [Fact]
    public async Task AFileShorterThanItsRegion_ClosesOnlyThatConnection_WithNothingOfTheResponsePretendingToBeWhole()
    {
        using var original = File.OpenHandle(_path);
        var processor = new FileProcessor(original, offset: 0, length: _contents.Length + 4096); // past the end, as after a truncation
        await using var listener = Exchange.Listen(processor);
        using var bad = await Loopback.ConnectAsync(listener.LocalEndPoint);
        using var good = await Loopback.ConnectAsync(listener.LocalEndPoint);

        await bad.SendAllAsync(Frames.Request(ApiKey.Fetch, 1, [1]));
        var received = await bad.ReceiveUntilClosedAsync();

        Assert.True(received < 4 + 4 + 4 + _contents.Length + 4096 + 4, $"a whole response arrived ({received} B) from a short file");
        await good.SendAllAsync(Frames.Request(ApiKey.Fetch, 2, [0]));
        var answer = await good.ReadFrameAsync() ?? throw new InvalidOperationException("the other connection was closed too");
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(answer));
    }

    /// <summary>An int32 length, the records, then a 4-byte trailer.</summary>
    private sealed class RecordsBody(ReadOnlySequence<byte> records) : IKafkaMessage
    {
        public int ComputeSize(short version) => 4 + (int)records.Length + 4;

        public void Write(ref KafkaWriter writer, short version)
        {
            writer.WriteRecords(records, compact: false, nullable: false, "records");
            writer.WriteInt32(0x7E57);
        }
    }

    /// <summary>Answers a request whose payload is [1] with the file range as records, anything else with none.</summary>
    private sealed class FileProcessor(SafeFileHandle file, long offset, int length) : IRequestProcessor
    {
        private int _released;

        public TaskCompletionSource<int> Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<OutgoingResponse?> ProcessAsync(ConnectionInfo connection, ReadOnlySequence<byte> frame, CancellationToken cancellationToken)
        {
            var bytes = frame.ToArray();
            var correlationId = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
            var region = bytes[^1] == 1 ? FileRegion.TryOpen(file, offset, length)! : null;
            var records = region is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(region.Memory);
            return ValueTask.FromResult<OutgoingResponse?>(new OutgoingResponse(correlationId, 0, 0, new RecordsBody(records))
            {
                AfterSent = () =>
                {
                    ((IDisposable?)region)?.Dispose();
                    if (Interlocked.Increment(ref _released) == 2)
                    {
                        Released.TrySetResult(2);
                    }
                },
            });
        }
    }
}
