namespace Meowstik.Agent.Can.Tests;

public sealed class CandumpFormatTests
{
    [Theory]
    [InlineData("(1436509052.249713) can0 123#DEADBEEF", 0x123u, CanFrameFlags.None, 4, 1436509052_249713L)]
    [InlineData("(1436509052.249713) vcan1 1ABCDEF0#0011223344556677", 0x1ABCDEF0u, CanFrameFlags.Extended, 8, 1436509052_249713L)]
    [InlineData("(0.000001) can0 00000123#", 0x123u, CanFrameFlags.Extended, 0, 1L)]
    [InlineData("(1.5) can0 7FF#R", 0x7FFu, CanFrameFlags.Remote, 0, 1_500000L)]
    [InlineData("(1.5) can0 7FF#R5", 0x7FFu, CanFrameFlags.Remote, 5, 1_500000L)]
    [InlineData("(2.000000) can0 20000080#0000000000000000", 0x80u, CanFrameFlags.Error, 8, 2_000000L)]
    [InlineData("  (2.000000)  can0  123#DE.AD  ", 0x123u, CanFrameFlags.None, 2, 2_000000L)]
    public void Log_lines_parse(string line, uint id, CanFrameFlags flags, int length, long micros)
    {
        Assert.True(CandumpFormat.TryParseLine(line, out CanFrame frame, out Range iface));
        Assert.Equal((id, flags, length, micros), (frame.Id, frame.Flags, (int)frame.Length, frame.TimestampMicroseconds));
        Assert.Contains(line.AsSpan()[iface].ToString(), new[] { "can0", "vcan1" });
    }

    [Theory]
    [InlineData("")]
    [InlineData("can0 123#00")]
    [InlineData("(abc) can0 123#00")]
    [InlineData("(1.0) can0")]
    [InlineData("(1.0) can0 12#00")]
    [InlineData("(1.0) can0 1234#00")]
    [InlineData("(1.0) can0 800#00")]
    [InlineData("(1.0) can0 40000123#00")]
    [InlineData("(1.0) can0 123#0")]
    [InlineData("(1.0) can0 123#GG")]
    [InlineData("(1.0) can0 123#001122334455667788")]
    [InlineData("(1.0) can0 123##1DEADBEEF")]
    [InlineData("(1.0) can0 123#RX")]
    public void Malformed_or_fd_lines_are_refused(string line) => Assert.False(CandumpFormat.TryParseLine(line, out _, out _));

    [Theory]
    [InlineData("(1436509052.249713) can0 123#DEADBEEF")]
    [InlineData("(1436509052.000001) can0 1ABCDEF0#0011223344556677")]
    [InlineData("(0.000000) can0 00000123#")]
    [InlineData("(7.100000) can0 7FF#R")]
    [InlineData("(7.100000) can0 7FF#R3")]
    [InlineData("(9.999999) can0 20000080#0000000000000000")]
    public void Lines_format_back_exactly(string line)
    {
        Assert.True(CandumpFormat.TryParseLine(line, out CanFrame frame, out Range iface));
        Assert.Equal(line, CandumpFormat.FormatLine(frame, line[iface]));
    }

    [Fact]
    public void Parsing_and_formatting_allocate_nothing()
    {
        const string line = "(1436509052.249713) can0 1ABCDEF0#0011223344556677";
        Span<char> buffer = stackalloc char[CandumpFormat.MaxLineLength];
        CandumpFormat.TryParseLine(line, out CanFrame frame, out Range iface);
        CandumpFormat.TryFormatLine(frame, line.AsSpan()[iface], buffer, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            CandumpFormat.TryParseLine(line, out frame, out iface);
            CandumpFormat.TryFormatLine(frame, line.AsSpan()[iface], buffer, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
