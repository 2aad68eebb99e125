using System.Net;

namespace Wharf.Network;

/// <summary>What a handler may know about the connection a request came on.</summary>
public sealed record ConnectionInfo(string Id, EndPoint? RemoteEndPoint, EndPoint? LocalEndPoint, string ListenerName);
