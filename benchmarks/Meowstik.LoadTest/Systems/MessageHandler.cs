namespace Meowstik.LoadTest.Systems;

/// <summary>
/// Called for every message a client receives, one at a time per client, on that client's receive loop. The bytes are only
/// valid until the returned task completes.
/// </summary>
internal delegate ValueTask MessageHandler(IMessagingClient receiver, ReadOnlyMemory<byte> message);
