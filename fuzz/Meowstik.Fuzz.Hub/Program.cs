namespace Meowstik.Fuzz.Hub;

internal static class Program
{
    private static int Main(string[] args) => FuzzHost.Run(args, HubTarget.Run);
}
