namespace Meowstik.Fuzz.Codec;

internal static class Program
{
    private static int Main(string[] args) => FuzzHost.Run(args, CodecTarget.Run);
}
