namespace Wharf.Configuration;

/// <summary>
/// The configuration cannot be used: unknown keys (with the closest valid name), values that do not parse or
/// fall outside their range. <see cref="Errors"/> holds every problem found, one sentence each, so an operator
/// can fix them all in one go; <see cref="Exception.Message"/> joins them.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException(string error)
        : this([error])
    {
    }

    public ConfigException(IReadOnlyList<string> errors)
        : base(errors.Count == 1 ? errors[0] : "Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
    {
        Errors = errors;
    }

    public IReadOnlyList<string> Errors { get; }
}
