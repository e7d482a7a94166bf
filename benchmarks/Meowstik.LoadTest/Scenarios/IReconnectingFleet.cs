namespace Meowstik.LoadTest.Scenarios;

/// <summary>Many long-lived clients that reconnect on their own after the server goes away.</summary>
internal interface IReconnectingFleet : IAsyncDisposable
{
    int Count { get; }

    /// <summary>The backoff the clients use, for the report.</summary>
    string Policy { get; }

    int OnlineCount();

    /// <summary>Forgets who went offline: from now on, count clients that drop and come back.</summary>
    void ArmRestart();

    /// <summary>Clients that went offline after <see cref="ArmRestart"/> and are online again.</summary>
    int ReconnectedCount();
}
