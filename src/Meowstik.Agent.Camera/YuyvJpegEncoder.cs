using System.Buffers;
using JpegLibrary;

namespace Meowstik.Agent.Camera;

/// <summary>
/// Encodes YUYV (YUV 4:2:2, the V4L2 webcam format) frames to baseline JPEG with the managed JpegLibrary encoder, straight
/// from the packed samples (no RGB pass): Y at full resolution, Cb/Cr at half width, so the JPEG is 4:2:2 like the frame.
/// Studio-range samples (Y 16-235, C 16-240) are expanded to JPEG's full range. Frames above the size limit are scaled by
/// an integer factor (nearest sample). Reuse one instance per thread: it keeps its tables and reader between frames.
/// </summary>
internal sealed class YuyvJpegEncoder
{
    private readonly JpegEncoder _encoder = new(16 * 1024);
    private readonly YuyvBlockReader _reader = new();
    private int _quality = -1;

    /// <summary>The bytes a YUYV frame needs: the last row needs <c>width * 2</c>, the others <paramref name="stride"/>.</summary>
    public static long RequiredBytes(int width, int height, int stride) => ((long)stride * (height - 1)) + ((long)width * 2);

    /// <summary>The integer scale that fits <paramref name="width"/> x <paramref name="height"/> inside the limit.</summary>
    public static int ScaleFor(int width, int height, int maxWidth, int maxHeight) =>
        Math.Max(1, Math.Max((width + maxWidth - 1) / maxWidth, (height + maxHeight - 1) / maxHeight));

    /// <summary>Encodes one frame into <paramref name="output"/>.</summary>
    /// <returns>The encoded image's width and height.</returns>
    /// <exception cref="CameraException"><see cref="CameraException.BadFrameCode"/>: the buffer is shorter than the frame.</exception>
    public (int Width, int Height) Encode(ReadOnlyMemory<byte> yuyv, int width, int height, int stride, JpegSettings settings, IBufferWriter<byte> output)
    {
        if (width < 2 || height < 1 || (width & 1) != 0 || stride < width * 2)
        {
            throw new CameraException(CameraException.BadFrameCode, $"A YUYV frame of {width}x{height} (stride {stride}) is not valid: the width must be even and the stride at least width x 2.");
        }

        long needed = RequiredBytes(width, height, stride);
        if (yuyv.Length < needed)
        {
            throw new CameraException(CameraException.BadFrameCode, $"A YUYV frame of {width}x{height} needs {needed} bytes; the buffer holds {yuyv.Length}.");
        }

        int scale = ScaleFor(width, height, settings.MaxWidth, settings.MaxHeight);
        int outWidth = Math.Max(1, width / scale);
        int outHeight = Math.Max(1, height / scale);
        SetQuality(Math.Clamp(settings.Quality, 1, 100));
        _reader.Set(yuyv, width, height, stride, scale, outWidth, outHeight);
        try
        {
            _encoder.SetInputReader(_reader);
            _encoder.SetOutput(output);
            _encoder.Encode();
        }
        finally
        {
            _encoder.ResetOutput();
            _reader.Set(default, 0, 0, 0, 1, 0, 0);
        }

        return (outWidth, outHeight);
    }

    private void SetQuality(int quality)
    {
        if (quality == _quality)
        {
            return;
        }

        _encoder.ResetTables();
        _encoder.ResetComponents();
        _encoder.SetQuantizationTable(JpegStandardQuantizationTable.ScaleByQuality(JpegStandardQuantizationTable.GetLuminanceTable(JpegElementPrecision.Precision8Bit, 0), quality));
        _encoder.SetQuantizationTable(JpegStandardQuantizationTable.ScaleByQuality(JpegStandardQuantizationTable.GetChrominanceTable(JpegElementPrecision.Precision8Bit, 1), quality));
        // Standard tables (one pass, no coefficient buffer); optimised tables would need a second pass and a frame of memory.
        _encoder.SetHuffmanTable(true, 0, JpegStandardHuffmanEncodingTable.GetLuminanceDCTable());
        _encoder.SetHuffmanTable(false, 0, JpegStandardHuffmanEncodingTable.GetLuminanceACTable());
        _encoder.SetHuffmanTable(true, 1, JpegStandardHuffmanEncodingTable.GetChrominanceDCTable());
        _encoder.SetHuffmanTable(false, 1, JpegStandardHuffmanEncodingTable.GetChrominanceACTable());
        _encoder.AddComponent(0, 0, 0, 0, 2, 1); // Y: 2x1 blocks per MCU
        _encoder.AddComponent(1, 1, 1, 1, 1, 1); // Cb
        _encoder.AddComponent(2, 1, 1, 1, 1, 1); // Cr
        _quality = quality;
    }

    /// <summary>Reads 8x8 blocks of one component straight out of the packed YUYV samples.</summary>
    private sealed class YuyvBlockReader : JpegBlockInputReader
    {
        private static readonly byte[] LumaRange = BuildRange(16, 235);
        private static readonly byte[] ChromaRange = BuildRange(16, 240);
        private ReadOnlyMemory<byte> _data;
        private int _stride;
        private int _scale;
        private int _width;
        private int _height;

        public override int Width => _width;

        public override int Height => _height;

        public void Set(ReadOnlyMemory<byte> data, int sourceWidth, int sourceHeight, int stride, int scale, int width, int height)
        {
            _ = sourceWidth;
            _ = sourceHeight;
            _data = data;
            _stride = stride;
            _scale = scale;
            _width = width;
            _height = height;
        }

        public override void ReadBlock(ref short blockRef, int componentIndex, int x, int y)
        {
            ReadOnlySpan<byte> data = _data.Span;
            ReadOnlySpan<byte> range = componentIndex == 0 ? LumaRange : ChromaRange;
            Span<short> block = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref blockRef, 64);
            int lastX = _width - 1;
            int lastY = _height - 1;
            int scale = _scale;
            for (int row = 0; row < 8; row++)
            {
                int sy = Math.Min(y + row, lastY) * scale;
                ReadOnlySpan<byte> line = data.Slice(sy * _stride);
                Span<short> output = block.Slice(row * 8, 8);
                if (componentIndex == 0)
                {
                    for (int col = 0; col < 8; col++)
                    {
                        int sx = Math.Min(x + col, lastX) * scale;
                        output[col] = range[line[sx * 2]];
                    }
                }
                else
                {
                    int offset = componentIndex == 1 ? 1 : 3; // Y0 U Y1 V
                    for (int col = 0; col < 8; col++)
                    {
                        int sx = Math.Min(x + col, lastX) * scale;
                        output[col] = range[line[((sx & ~1) * 2) + offset]];
                    }
                }
            }
        }

        private static byte[] BuildRange(int low, int high)
        {
            var table = new byte[256];
            for (int i = 0; i < 256; i++)
            {
                table[i] = (byte)Math.Clamp((int)Math.Round((i - low) * 255.0 / (high - low)), 0, 255);
            }

            return table;
        }
    }
}
