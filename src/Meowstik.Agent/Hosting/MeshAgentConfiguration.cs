using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;

namespace Meowstik.Agent;

/// <summary>
/// Binds <see cref="MeshAgentOptions"/> from configuration without reflection (trimming/NativeAOT-safe).
/// Keys are the option names (<c>HubUri</c>, <c>DeviceId</c>, <c>HeartbeatInterval</c> as <c>hh:mm:ss</c>, …),
/// plus <c>Capabilities</c> (array), <c>Reconnect:InitialDelay</c>/<c>Reconnect:MaxDelay</c>,
/// <c>Tls:PinnedPublicKeySha256</c> (array), <c>RequestHeaders</c> (section) and <c>Proxy</c> (a URI).
/// </summary>
public static class MeshAgentConfiguration
{
    /// <summary>Copies the values present in <paramref name="configuration"/> onto <paramref name="options"/>.</summary>
    /// <param name="configuration">The section, e.g. <c>configuration.GetSection("MeshAgent")</c>.</param>
    /// <param name="options">The options to update.</param>
    /// <exception cref="InvalidOperationException">A value cannot be parsed; the message names the key.</exception>
    public static void Bind(IConfiguration configuration, MeshAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(options);

        if (configuration[nameof(MeshAgentOptions.HubUri)] is { } hub)
        {
            options.HubUri = Uri.TryCreate(hub, UriKind.Absolute, out Uri? uri) ? uri : throw Invalid(nameof(MeshAgentOptions.HubUri), hub, "an absolute URI");
        }

        options.DeviceId = configuration[nameof(MeshAgentOptions.DeviceId)] ?? options.DeviceId;
        options.DeviceType = configuration[nameof(MeshAgentOptions.DeviceType)] ?? options.DeviceType;
        options.DeviceName = configuration[nameof(MeshAgentOptions.DeviceName)] ?? options.DeviceName;
        options.Token = configuration[nameof(MeshAgentOptions.Token)] ?? options.Token;

        foreach (IConfigurationSection item in configuration.GetSection(nameof(MeshAgentOptions.Capabilities)).GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(item.Value) && !options.Capabilities.Contains(item.Value))
            {
                options.Capabilities.Add(item.Value);
            }
        }

        options.StableConnectionThreshold = TimeSpanOr(configuration, nameof(MeshAgentOptions.StableConnectionThreshold), options.StableConnectionThreshold);
        if (configuration[nameof(MeshAgentOptions.AuthFailureRetryDelay)] is not null)
        {
            options.AuthFailureRetryDelay = TimeSpanOr(configuration, nameof(MeshAgentOptions.AuthFailureRetryDelay), TimeSpan.Zero);
        }

        options.HeartbeatInterval = TimeSpanOr(configuration, nameof(MeshAgentOptions.HeartbeatInterval), options.HeartbeatInterval);
        options.ConnectTimeout = TimeSpanOr(configuration, nameof(MeshAgentOptions.ConnectTimeout), options.ConnectTimeout);
        options.RegistrationTimeout = TimeSpanOr(configuration, nameof(MeshAgentOptions.RegistrationTimeout), options.RegistrationTimeout);
        options.KeepAliveInterval = TimeSpanOr(configuration, nameof(MeshAgentOptions.KeepAliveInterval), options.KeepAliveInterval);
        options.KeepAliveTimeout = TimeSpanOr(configuration, nameof(MeshAgentOptions.KeepAliveTimeout), options.KeepAliveTimeout);
        options.CommandTimeout = TimeSpanOr(configuration, nameof(MeshAgentOptions.CommandTimeout), options.CommandTimeout);
        options.RequestTimeout = TimeSpanOr(configuration, nameof(MeshAgentOptions.RequestTimeout), options.RequestTimeout);
        options.OutboxCapacity = IntOr(configuration, nameof(MeshAgentOptions.OutboxCapacity), options.OutboxCapacity);
        options.StreamBufferCapacity = IntOr(configuration, nameof(MeshAgentOptions.StreamBufferCapacity), options.StreamBufferCapacity);
        options.MaxConcurrentCommands = IntOr(configuration, nameof(MeshAgentOptions.MaxConcurrentCommands), options.MaxConcurrentCommands);
        options.MaxPendingCommands = IntOr(configuration, nameof(MeshAgentOptions.MaxPendingCommands), options.MaxPendingCommands);
        options.MaxMessageBytes = IntOr(configuration, nameof(MeshAgentOptions.MaxMessageBytes), options.MaxMessageBytes);

        IConfigurationSection reconnect = configuration.GetSection("Reconnect");
        if (reconnect["InitialDelay"] is not null || reconnect["MaxDelay"] is not null)
        {
            var defaults = new ExponentialBackoffPolicy();
            options.ReconnectPolicy = new ExponentialBackoffPolicy
            {
                InitialDelay = TimeSpanOr(reconnect, "InitialDelay", defaults.InitialDelay),
                MaxDelay = TimeSpanOr(reconnect, "MaxDelay", defaults.MaxDelay),
            };
        }

        foreach (IConfigurationSection pin in configuration.GetSection("Tls:PinnedPublicKeySha256").GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(pin.Value) && !options.Tls.PinnedPublicKeySha256.Contains(pin.Value))
            {
                options.Tls.PinnedPublicKeySha256.Add(pin.Value);
            }
        }

        foreach (IConfigurationSection header in configuration.GetSection(nameof(MeshAgentOptions.RequestHeaders)).GetChildren())
        {
            if (header.Value is not null)
            {
                options.RequestHeaders[header.Key] = header.Value;
            }
        }

        if (configuration[nameof(MeshAgentOptions.Proxy)] is { Length: > 0 } proxy)
        {
            options.Proxy = Uri.TryCreate(proxy, UriKind.Absolute, out Uri? proxyUri)
                ? new WebProxy(proxyUri)
                : throw Invalid(nameof(MeshAgentOptions.Proxy), proxy, "an absolute URI");
        }
    }

    private static TimeSpan TimeSpanOr(IConfiguration configuration, string key, TimeSpan fallback)
    {
        string? text = configuration[key];
        if (text is null)
        {
            return fallback;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan value)
            ? value
            : throw Invalid(key, text, "a time span such as 00:00:30");
    }

    private static int IntOr(IConfiguration configuration, string key, int fallback)
    {
        string? text = configuration[key];
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw Invalid(key, text, "an integer");
    }

    private static InvalidOperationException Invalid(string key, string value, string expected) =>
        new($"Configuration value '{value}' for MeshAgent:{key} is invalid: expected {expected}.");
}
