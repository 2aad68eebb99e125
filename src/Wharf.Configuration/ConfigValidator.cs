using System.Globalization;

namespace Wharf.Configuration;

/// <summary>
/// Checks a parsed config value (an <see cref="int"/>, <see cref="long"/>, <see cref="double"/>,
/// <see cref="string"/> or <see cref="IReadOnlyList{T}"/> of strings, never null). <see cref="Description"/> is the
/// allowed range as the docs and error messages show it, in Kafka's notation (<c>[1,...]</c>, <c>[a, b]</c>).
/// Thread-safety: immutable.
/// </summary>
public abstract class ConfigValidator
{
    /// <summary>The allowed values, e.g. <c>[0,...,65535]</c>.</summary>
    public abstract string Description { get; }

    /// <summary>Null when <paramref name="value"/> is allowed, else why not (a fragment: "must be in [1,...]").</summary>
    public abstract string? Check(object value);

    /// <summary>An integer (int, short or long) of at least <paramref name="min"/>.</summary>
    public static ConfigValidator AtLeast(long min) => new RangeValidator(min, null);

    /// <summary>An integer in <c>[min, max]</c>.</summary>
    public static ConfigValidator Between(long min, long max) => new RangeValidator(min, max);

    /// <summary>A double in <c>[min, max]</c>.</summary>
    public static ConfigValidator BetweenDouble(double min, double max) => new DoubleRangeValidator(min, max);

    /// <summary>A string that is one of <paramref name="allowed"/> (case-sensitive, as Kafka).</summary>
    public static ConfigValidator OneOf(params string[] allowed) => new OneOfValidator(allowed);

    /// <summary>A non-empty list whose every item is one of <paramref name="allowed"/>.</summary>
    public static ConfigValidator ListOf(params string[] allowed) => new ListOfValidator(allowed);

    /// <summary>Any check with its own description.</summary>
    public static ConfigValidator Custom(string description, Func<object, string?> check) => new CustomValidator(description, check);

    private sealed class RangeValidator(long min, long? max) : ConfigValidator
    {
        public override string Description => max is { } upper
            ? $"[{Format(min)},...,{Format(upper)}]"
            : $"[{Format(min)},...]";

        public override string? Check(object value)
        {
            var number = Convert.ToInt64(value, CultureInfo.InvariantCulture);
            return number < min || number > (max ?? long.MaxValue) ? $"must be in {Description}" : null;
        }

        private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
    }

    private sealed class DoubleRangeValidator(double min, double max) : ConfigValidator
    {
        public override string Description =>
            $"[{min.ToString(CultureInfo.InvariantCulture)},...,{max.ToString(CultureInfo.InvariantCulture)}]";

        public override string? Check(object value)
        {
            var number = (double)value;
            return number < min || number > max || double.IsNaN(number) ? $"must be in {Description}" : null;
        }
    }

    private sealed class OneOfValidator(string[] allowed) : ConfigValidator
    {
        public override string Description => $"[{string.Join(", ", allowed)}]";

        public override string? Check(object value) =>
            Array.IndexOf(allowed, (string)value) >= 0 ? null : $"must be one of {Description}";
    }

    private sealed class ListOfValidator(string[] allowed) : ConfigValidator
    {
        public override string Description => $"[{string.Join(", ", allowed)}]";

        public override string? Check(object value)
        {
            var items = (IReadOnlyList<string>)value;
            if (items.Count == 0)
            {
                return $"must name at least one of {Description}";
            }

            var wrong = items.FirstOrDefault(item => Array.IndexOf(allowed, item) < 0);
            return wrong is null ? null : $"'{wrong}' is not one of {Description}";
        }
    }

    private sealed class CustomValidator(string description, Func<object, string?> check) : ConfigValidator
    {
        public override string Description => description;

        public override string? Check(object value) => check(value);
    }
}
