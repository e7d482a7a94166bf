using Meowstik.Agent.Camera.OpenCv;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meowstik.Agent.Camera.Tests;

/// <summary>AddCamera / AddOpenCvCamera: options bound from Meowstik:Camera by the generated binder and validated at start, naming the key.</summary>
public sealed class CameraHostingTests
{
    private static IHost Build(Dictionary<string, string?> camera, bool openCv = false)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var settings = new Dictionary<string, string?>
        {
            ["Meowstik:Agent:HubUri"] = "ws://127.0.0.1:1/ws/mesh",
            ["Meowstik:Agent:DeviceId"] = "cam-001",
            ["Meowstik:Agent:Token"] = "mtk_test",
        };
        foreach ((string key, string? value) in camera)
        {
            settings["Meowstik:Camera:" + key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        IMeshAgentBuilder agent = builder.Services.AddMeowstikAgent(builder.Configuration.GetSection(MeshAgentOptions.SectionName));
        IConfigurationSection section = builder.Configuration.GetSection(CameraOptions.SectionName);
        _ = openCv ? agent.AddOpenCvCamera(section) : agent.AddCamera(section);
        return builder.Build();
    }

    [Fact]
    public void Options_bind_from_the_section_and_pick_the_source()
    {
        using IHost host = Build(new() { ["Device"] = "/dev/video2", ["CaptureWidth"] = "1280", ["CaptureHeight"] = "720", ["Quality"] = "70", ["StreamFps"] = "15", ["FrameTimeout"] = "00:00:02" });
        CameraOptions o = host.Services.GetRequiredService<IOptions<CameraOptions>>().Value;
        Assert.Equal(("/dev/video2", 1280, 720, 70, 15.0, TimeSpan.FromSeconds(2)), (o.Device, o.CaptureWidth, o.CaptureHeight, o.Quality, o.StreamFps, o.FrameTimeout));
        Assert.Equal("v4l2 /dev/video2", Assert.IsType<V4l2CameraSource>(host.Services.GetRequiredService<ICameraSource>()).Description);
        Assert.Contains(host.Services.GetServices<IMeshCapability>(), c => c.Name == "camera");

        using IHost openCv = Build(new() { ["Device"] = "rtsp://admin:secret@10.0.0.5/stream1" }, openCv: true);
        ICameraSource source = openCv.Services.GetRequiredService<ICameraSource>();
        Assert.IsType<OpenCvCameraSource>(source);
        Assert.Equal("opencv rtsp://***@10.0.0.5/stream1", source.Description); // no credentials in logs or errors
    }

    [Fact]
    public async Task A_misspelt_key_fails_the_start()
    {
        using IHost host = Build(new() { ["Qualty"] = "70" });
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("'Qualty'", e.Message);
    }

    [Fact]
    public async Task Invalid_settings_fail_the_start_each_naming_its_key()
    {
        using IHost host = Build(new()
        {
            ["Device"] = " ",
            ["Quality"] = "0",
            ["StreamFps"] = "60",
            ["MaxStreamFps"] = "30",
            ["MaxFramesInFlight"] = "0",
            ["MaxInlineBytes"] = "10",
            ["SnapshotKeep"] = "0",
            ["CaptureWidth"] = "8",
        });
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Meowstik:Camera:Device is not set", e.Message);
        Assert.Contains("Meowstik:Camera:Quality is 0", e.Message);
        Assert.Contains("Meowstik:Camera:StreamFps is 60", e.Message);
        Assert.Contains("Meowstik:Camera:MaxFramesInFlight is 0", e.Message);
        Assert.Contains("Meowstik:Camera:MaxInlineBytes is 10", e.Message);
        Assert.Contains("Meowstik:Camera:SnapshotKeep is 0", e.Message);
        Assert.Contains("Meowstik:Camera:CaptureWidth", e.Message);
    }

    [Fact]
    public void Code_configuration_and_a_custom_source_registered_first()
    {
        var services = new ServiceCollection();
        using var custom = new OpenCvCameraSource(TestMedia.VideoPath);
        services.AddSingleton<ICameraSource>(custom);
        services.AddMeowstikAgent(o => { o.HubUri = new Uri("ws://127.0.0.1:1/ws/mesh"); o.DeviceId = "cam-001"; o.Token = "t"; })
            .AddCamera(o => o.Quality = 60);
        using ServiceProvider sp = services.BuildServiceProvider();
        Assert.Same(custom, sp.GetRequiredService<ICameraSource>());
        Assert.Equal(60, sp.GetRequiredService<IOptions<CameraOptions>>().Value.Quality);
    }
}
