namespace Wharf.Network;

/// <summary>Raised by a request processor when the only right answer is to close this one connection.</summary>
public sealed class CloseConnectionException(string reason, Exception? inner = null) : Exception(reason, inner);
