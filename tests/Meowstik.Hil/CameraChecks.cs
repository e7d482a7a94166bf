using System.Runtime.CompilerServices;
using System.Text.Json;
using JpegLibrary;
using Meowstik.Agent.Camera;
using Microsoft.Extensions.DependencyInjection;

namespace Meowstik.Hil;

/// <summary>
/// The camera plugin on vivid (/dev/video0, a virtual webcam drawing a test pattern): its V4L2 source captures frames, and
/// camera.snapshot returns a JPEG that decodes (JpegLibrary, the encoder's own library) to the expected size.
/// </summary>
internal static class CameraChecks
{
    public static async Task RunAll()
    {
        var services = new ServiceCollection();
        services.AddMeowstikAgent(o => o.DeviceId = "hil-vm").AddCamera(o =>
        {
            o.Device = "/dev/video0";
            o.CaptureWidth = 640;
            o.CaptureHeight = 480;
            o.FrameTimeout = TimeSpan.FromSeconds(20);
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        var mesh = new HilPublisher();

        await Hil.Check("camera: the plugin's V4L2 source (VideoDevice) opens vivid and captures frames as 640x480 JPEGs", () =>
        {
            ICameraSource source = provider.GetRequiredService<ICameraSource>();
            Hil.Expect(source is V4l2CameraSource, $"the registered source is {source.GetType().Name}, not the V4L2 one");
            source.Open();
            Hil.Log($"{source.Description}: format {((V4l2CameraSource)source).Format}");
            for (int i = 0; i < 3; i++)
            {
                using CameraFrame frame = source.GrabJpeg(new JpegSettings(80, 1920, 1080), CancellationToken.None);
                (int w, int h, int lumaRange) = Decode(frame.Jpeg);
                Hil.Log($"frame {i}: {frame.Length} bytes, says {frame.Width}x{frame.Height}, decodes to {w}x{h}, luma range {lumaRange}");
                Hil.Expect(frame.Width == 640 && frame.Height == 480 && w == 640 && h == 480, $"frame {i} is {frame.Width}x{frame.Height} (decoded {w}x{h}), expected 640x480");
                Hil.Expect(lumaRange > 64, $"frame {i} is flat (luma range {lumaRange}): vivid draws colour bars");
            }

            return Task.CompletedTask;
        }, 120);

        CameraCapability camera = provider.GetRequiredService<CameraCapability>();
        await Hil.Check("camera: camera.snapshot returns a decodable JPEG of the expected size (full and scaled to max_width 320)", async () =>
        {
            JsonElement full = Hil.Ok(await Hil.Call(camera, mesh, "camera.snapshot", """{"quality":80}""", CommandKind.Query), "camera.snapshot");
            CheckSnapshot(full, 640, 480);
            JsonElement small = Hil.Ok(await Hil.Call(camera, mesh, "camera.snapshot", """{"quality":60,"max_width":320}""", CommandKind.Query), "camera.snapshot max_width 320");
            CheckSnapshot(small, 320, 240);
        }, 120);
    }

    private static void CheckSnapshot(JsonElement result, int width, int height)
    {
        Hil.Expect(result.GetProperty("codec").GetString() == "jpeg", $"codec {result.GetProperty("codec")}");
        byte[] jpeg = result.GetProperty("data").GetBytesFromBase64();
        Hil.Expect(jpeg.Length == result.GetProperty("bytes").GetInt32(), "'bytes' is not the length of 'data'");
        (int w, int h, int range) = Decode(jpeg);
        Hil.Log($"snapshot: {jpeg.Length} bytes, says {result.GetProperty("width")}x{result.GetProperty("height")}, decodes to {w}x{h}, luma range {range}");
        Hil.Expect(result.GetProperty("width").GetInt32() == width && result.GetProperty("height").GetInt32() == height, $"snapshot says {result.GetProperty("width")}x{result.GetProperty("height")}, expected {width}x{height}");
        Hil.Expect(w == width && h == height, $"the JPEG decodes to {w}x{h}, expected {width}x{height}");
        Hil.Expect(range > 64, $"the snapshot is flat (luma range {range})");
    }

    /// <summary>Decodes the whole JPEG (every block), returning its size and the spread of its luma samples.</summary>
    private static (int Width, int Height, int LumaRange) Decode(ReadOnlyMemory<byte> jpeg)
    {
        Hil.Expect(jpeg.Length > 4 && jpeg.Span[0] == 0xFF && jpeg.Span[1] == 0xD8, "not a JPEG (no SOI marker)");
        var decoder = new JpegDecoder();
        decoder.SetInput(jpeg);
        decoder.Identify();
        var output = new LumaRange();
        decoder.SetOutputWriter(output);
        decoder.Decode();
        Hil.Expect(output.Blocks > 0, "the decoder produced no blocks");
        return (decoder.Width, decoder.Height, output.Max - output.Min);
    }

    private sealed class LumaRange : JpegBlockOutputWriter
    {
        public int Min { get; private set; } = int.MaxValue;

        public int Max { get; private set; } = int.MinValue;

        public int Blocks { get; private set; }

        public override void WriteBlock(ref short blockRef, int componentIndex, int x, int y)
        {
            Blocks++;
            if (componentIndex != 0)
            {
                return;
            }

            for (int i = 0; i < 64; i++)
            {
                int v = Unsafe.Add(ref blockRef, i);
                Min = Math.Min(Min, v);
                Max = Math.Max(Max, v);
            }
        }
    }
}
