using Wharf.Client.Native;

namespace Wharf.Client;

/// <summary>An error reported by librdkafka: a call that failed, a record, or a partition's acknowledgements.</summary>
/// <param name="Code">
/// The <c>rd_kafka_resp_err_t</c> value: a Kafka protocol error code when positive, a librdkafka-local error
/// (names starting with an underscore, such as <c>_STATE</c> = -172) when negative.
/// </param>
/// <param name="Name">librdkafka's name for the code, for example <c>_STATE</c> or <c>INVALID_RECORD_STATE</c>.</param>
/// <param name="Reason">The human-readable detail librdkafka gave.</param>
/// <param name="IsFatal">True when the consumer cannot continue and must be disposed.</param>
/// <param name="IsRetriable">True when librdkafka says the same call may succeed if repeated.</param>
public sealed record ShareError(int Code, string Name, string Reason, bool IsFatal = false, bool IsRetriable = false)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Code}): {Reason}";

    /// <summary>Reads and destroys an <c>rd_kafka_error_t</c>.</summary>
    internal static ShareError FromNativeError(nint error)
    {
        try
        {
            var code = LibrdkafkaNative.ErrorCode(error);
            return new ShareError(
                code,
                LibrdkafkaNative.Utf8(LibrdkafkaNative.ErrorName(error)) ?? NameOf(code),
                LibrdkafkaNative.Utf8(LibrdkafkaNative.ErrorString(error)) ?? DescriptionOf(code),
                LibrdkafkaNative.ErrorIsFatal(error) != 0,
                LibrdkafkaNative.ErrorIsRetriable(error) != 0);
        }
        finally
        {
            LibrdkafkaNative.ErrorDestroy(error);
        }
    }

    /// <summary>An error from a bare <c>rd_kafka_resp_err_t</c>, described by librdkafka unless a reason is given.</summary>
    internal static ShareError FromCode(int code, string? reason = null) =>
        new(code, NameOf(code), reason ?? DescriptionOf(code));

    private static string NameOf(int code) => LibrdkafkaNative.Utf8(LibrdkafkaNative.ErrorCodeName(code)) ?? code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string DescriptionOf(int code) => LibrdkafkaNative.Utf8(LibrdkafkaNative.ErrorCodeDescription(code)) ?? "";
}
