namespace Meowstik.Samples.Tests;

/// <summary>Runs samples/Demo as a real process, the way a newcomer would (<c>dotnet run --project samples/Demo</c>).</summary>
public sealed class DemoProcessTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task The_demo_runs_its_seven_steps_and_exits_zero()
    {
        await using SampleProcess demo = SampleProcess.Start("Demo", ["--speed-seconds", "3"]);
        int exit = await demo.WaitForExitAsync(Limit);
        string output = demo.Output;
        Assert.True(exit == 0, $"exit code {exit}\n{output}\n{demo.Errors}");
        Assert.Contains("[1/7] Starting an embedded hub and the three sample agents in simulation", output);
        Assert.Matches(@"Comma3x online as comma3x-001 \(session sess_\w+, heartbeat every 1 s\): \[can, gps, vehicle, speed, can_bus\]", output);
        Assert.Contains("HomeServer online as homeserver-001", output);
        Assert.Contains("Alexa online as alexa-001", output);
        Assert.Matches(@"comma3x-001\s+vehicle\s+online\s+\[can, gps, vehicle, speed, can_bus\]", output);
        Assert.Matches(@"commands: .*navigate record_moment vehicle.set_cruise_speed", output);
        Assert.Matches(@"status \{""gps"":\{""lat"":47\.\d+,""lng"":-122\.\d+\},""speed_mph"":\d+,""eta_minutes"":null,""destination"":null,""engaged"":(true|false),""driver_attention"":""unknown""\}", output);
        Assert.Matches(@"navigate to Ocean Shores Tech: [\d.]+ mi, ETA \d+ min", output);
        Assert.Matches(@"""eta_minutes"":\d+,""destination"":""Ocean Shores Tech""", output);
        Assert.Contains("snapshot null (simulation: no camera configured", output);
        Assert.Contains("controller received the event 'moment_recorded' from comma3x-001", output);
        Assert.Contains("vehicle.set_cruise_speed refused as it should be: control_disabled", output);
        Assert.Matches(@"spoke [\d.]+ s at volume 80 with ", output);
        Assert.Contains("living-room-tv answered: state {\"POWER\":\"ON\"}", output);
        Assert.Matches(@"\d+ samples, throttled by the car to 2 per second", output);
        Assert.Contains("the car's agent is AuthFailed", output);
        Assert.Contains("hub lists it online: False", output);
        Assert.Contains("error 'device_offline'", output);
        Assert.Contains("Demo finished: every step worked.", output);
        Assert.Equal(string.Empty, demo.Errors);
    }

    [Fact]
    public async Task Without_mosquitto_and_espeak_the_demo_uses_in_process_stand_ins_and_says_so()
    {
        await using SampleProcess demo = SampleProcess.Start("Demo", ["--without-optional-tools", "--speed-seconds", "2"]);
        int exit = await demo.WaitForExitAsync(Limit);
        string output = demo.Output;
        Assert.True(exit == 0, $"exit code {exit}\n{output}\n{demo.Errors}");
        Assert.Contains("an in-process MQTTnet broker runs on 127.0.0.1:", output);
        Assert.Contains("speak renders a placeholder tone", output);
        Assert.Matches(@"spoke [\d.]+ s at volume 80 with simulated-tone", output);
        Assert.Contains("living-room-tv answered: state {\"POWER\":\"ON\"}", output);
        Assert.Contains("Demo finished: every step worked.", output);
    }

    [Fact]
    public async Task A_bad_argument_exits_non_zero_with_a_message()
    {
        await using SampleProcess demo = SampleProcess.Start("Demo", ["--speed-seconds", "abc"]);
        int exit = await demo.WaitForExitAsync(Limit);
        Assert.NotEqual(0, exit);
        Assert.Contains("usage: Demo", demo.Errors);
    }
}
