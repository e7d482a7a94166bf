using System.Net;
using System.Net.Sockets;

namespace Meowstik.LoadTest.Hosting;

/// <summary>Picks a free TCP port on 127.0.0.1 for a server to listen on.</summary>
internal static class FreePort
{
    public static int Next()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
