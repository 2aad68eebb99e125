using System.Buffers;
using System.Collections;
using System.Reflection;
using Wharf.Protocol.Codec;

namespace Wharf.Protocol.Tests;

/// <summary>
/// Fills any generated message with seeded random values, walking its public properties by reflection, so
/// that one property test covers every message of every API. Values are never null: null handling is
/// tested on its own.
/// </summary>
internal sealed class RandomMessageFactory(int seed)
{
    private readonly Random _random = new(seed);

    public T Create<T>() => (T)Create(typeof(T), depth: 0);

    public object Create(Type type, int depth)
    {
        var message = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanWrite || property.Name == "UnknownTaggedFields")
            {
                continue;
            }

            property.SetValue(message, Value(property.PropertyType, depth));
        }

        return message;
    }

    private object? Value(Type type, int depth)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying switch
        {
            _ when underlying == typeof(sbyte) => (sbyte)_random.Next(sbyte.MinValue, sbyte.MaxValue + 1),
            _ when underlying == typeof(short) => (short)_random.Next(short.MinValue, short.MaxValue + 1),
            _ when underlying == typeof(ushort) => (ushort)_random.Next(0, ushort.MaxValue + 1),
            _ when underlying == typeof(int) => _random.Next(int.MinValue, int.MaxValue),
            _ when underlying == typeof(uint) => (uint)_random.NextInt64(0, uint.MaxValue),
            _ when underlying == typeof(long) => _random.NextInt64(long.MinValue, long.MaxValue),
            _ when underlying == typeof(double) => _random.NextDouble() * 1000,
            _ when underlying == typeof(bool) => _random.Next(2) == 1,
            _ when underlying == typeof(Guid) => RandomGuid(),
            _ when underlying == typeof(string) => RandomString(),
            _ when underlying == typeof(byte[]) => RandomBytes(_random.Next(0, 9)),
            _ when underlying == typeof(ReadOnlySequence<byte>) => new ReadOnlySequence<byte>(RandomBytes(_random.Next(0, 40))),
            _ when underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(List<>) => List(underlying, depth),
            _ => Create(underlying, depth + 1),
        };
    }

    private IList List(Type listType, int depth)
    {
        var list = (IList)Activator.CreateInstance(listType)!;
        var count = depth > 3 ? 0 : _random.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            list.Add(Value(listType.GetGenericArguments()[0], depth + 1));
        }

        return list;
    }

    private Guid RandomGuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        return new Guid(bytes);
    }

    private string RandomString()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz-._0123456789ÅßЖ漢";
        var chars = new char[_random.Next(0, 12)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[_random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Adds an unknown tagged field with a tag no definition uses, to check it survives.</summary>
    public static void AddUnknownTaggedField(IKafkaMessage message, int tag, byte[] data)
    {
        var property = message.GetType().GetProperty("UnknownTaggedFields")!;
        property.SetValue(message, new List<RawTaggedField> { new(tag, data) });
    }
}
