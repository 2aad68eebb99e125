namespace Wharf.Server.Http;

/// <summary>The parts of an HTTP request <see cref="HttpAdminRoutes"/> routes on: method and path (no query). Immutable.</summary>
public sealed record HttpRequestLine(string Method, string Path);
