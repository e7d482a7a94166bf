namespace Meowstik.Hub.Core;

/// <summary>What <c>subscribe_stream</c> did.</summary>
internal enum SubscribeResult
{
    /// <summary>A new subscription.</summary>
    Added,
    /// <summary>The connection already had it.</summary>
    AlreadySubscribed,
    /// <summary>The connection holds <see cref="MeshHubOptions.MaxStreamSubscriptionsPerConnection"/> subscriptions already.</summary>
    LimitReached,
}
