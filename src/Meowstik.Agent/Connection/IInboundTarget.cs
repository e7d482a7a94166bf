using Meowstik.Protocol;

namespace Meowstik.Agent;

/// <summary>Where <see cref="InboundHandler"/> sends what it decoded (implemented by <see cref="MeshAgent"/>).</summary>
internal interface IInboundTarget
{
    /// <summary>The publisher handed to capability handlers in their <see cref="CommandContext"/>.</summary>
    IMeshPublisher Publisher { get; }

    /// <summary>Queues a <c>response</c> or <c>error</c> answering message <paramref name="correlationId"/>.</summary>
    void Answer(MessageType type, string? to, string correlationId, MeshJson payload);

    /// <summary>Runs a command or query (off the receive loop) and answers it.</summary>
    void Dispatch(CommandContext context, TimeSpan? requestedTimeout);

    /// <summary>Hands an <c>event</c> to the agent's subscribers.</summary>
    void Deliver(MeshEvent meshEvent);

    /// <summary>Hands a <c>stream</c> chunk to the agent's subscribers.</summary>
    void Deliver(MeshStreamChunk chunk);
}
