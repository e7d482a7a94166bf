using System.Net.WebSockets;
using Meowstik.Protocol;
using Microsoft.Extensions.Logging;

namespace Meowstik.Agent;

/// <summary>
/// One connection of the agent: the handshake (<see cref="SessionHandshake"/>), then the receive loop (each message to
/// <see cref="InboundHandler"/>), the send loop (<see cref="OutboxSender"/>) and the heartbeat loop (<see cref="HeartbeatSender"/>)
/// until any of them ends, then all of them stopped and awaited. The agent's reconnect loop creates a new session for every attempt.
/// </summary>
internal sealed class AgentSession
{
    private readonly MeshAgent _agent;
    private readonly ILogger _logger;

    public AgentSession(MeshAgent agent, ILogger logger)
    {
        _agent = agent;
        _logger = logger;
    }

    public async Task<ConnectionOutcome> RunAsync(CancellationToken stopping)
    {
        using var socket = new ClientWebSocket();
        try
        {
            string token = await _agent.GetTokenAsync(stopping).ConfigureAwait(false);
            ConnectionOutcome? failed = await _agent.Handshake.ConnectAsync(socket, token, stopping).ConfigureAwait(false);
            if (failed is { } connectFailure)
            {
                return connectFailure;
            }

            _agent.SetState(AgentState.Registering, null);
            using var reader = new WebSocketMessageReader(socket, _agent.Options.MaxMessageBytes);
            using var writer = new WebSocketMessageWriter(socket, _agent.Time);
            RegistrationResult registration = await _agent.Handshake.RegisterAsync(socket, reader, writer, token, stopping).ConfigureAwait(false);
            if (registration.Failure is { } registrationFailure)
            {
                return registrationFailure;
            }

            return await RunOnlineAsync(socket, reader, new SessionWriter(writer), registration, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return new ConnectionOutcome(false, false, "stopped", null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            // Anything else (network, token provider, hub misbehaviour) ends this attempt; the reconnect loop goes on.
            return new ConnectionOutcome(false, false, "connection failed: " + ex.Message, ex);
        }
        finally
        {
            _agent.Outbox.SetOnline(false);
            await CloseQuietlyAsync(socket, stopping.IsCancellationRequested).ConfigureAwait(false);
        }
    }

    private async Task<ConnectionOutcome> RunOnlineAsync(
        ClientWebSocket socket, WebSocketMessageReader reader, SessionWriter writer, RegistrationResult registration, CancellationToken stopping)
    {
        // Cancelling a pending WebSocket receive aborts the socket, so the receive loop gets its own token that is
        // cancelled only after a graceful close had its chance.
        using var senders = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var receiving = new CancellationTokenSource();
        _agent.Outbox.SetOnline(true);
        TimeSpan heartbeatInterval = registration.HeartbeatInterval;
        _agent.OnRegistered(registration.SessionId, heartbeatInterval, registration.BinaryStreams);

        Task<ConnectionOutcome> receive = Counted(ReceiveLoopAsync(socket, reader, receiving.Token));
        Task<ConnectionOutcome> send = Counted(_agent.OutboxSender.RunAsync(writer, registration.BinaryStreams, senders.Token));
        Task<ConnectionOutcome> heartbeat = Counted(_agent.Heartbeat.RunAsync(writer, heartbeatInterval, senders.Token));
        var stopSignal = new TaskCompletionSource<ConnectionOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        using CancellationTokenRegistration onStop = stopping.Register(
            static state => ((TaskCompletionSource<ConnectionOutcome>)state!).TrySetResult(new ConnectionOutcome(true, false, "stopped", null)),
            stopSignal);

        ConnectionOutcome outcome;
        try
        {
            Task<ConnectionOutcome> first = await Task.WhenAny(receive, send, heartbeat, stopSignal.Task).ConfigureAwait(false);
            outcome = await first.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            // A loop failed in a way it did not expect: this session ends like a drop and the agent reconnects.
            outcome = new ConnectionOutcome(true, false, "session failed: " + ex.Message, ex);
        }
        finally
        {
            // Whatever ended the session, its loops end here, before the reconnect loop can start new ones: a lingering
            // send loop would take from the shared outbox and reorder it, a lingering heartbeat would write to a dead socket.
            await senders.CancelAsync().ConfigureAwait(false);
            await AwaitQuietlyAsync(send).ConfigureAwait(false);
            await AwaitQuietlyAsync(heartbeat).ConfigureAwait(false);
            await StopReceivingAsync(socket, receive, receiving, stopping).ConfigureAwait(false);
        }

        return outcome with { WasOnline = true };
    }

    /// <summary>Counts a running loop in <see cref="MeshAgent.SessionLoops"/> from its start until it ends.</summary>
    private Task<ConnectionOutcome> Counted(Task<ConnectionOutcome> loop)
    {
        _agent.SessionLoopStarted();
        return Track(loop);

        async Task<ConnectionOutcome> Track(Task<ConnectionOutcome> running)
        {
            try
            {
                return await running.ConfigureAwait(false);
            }
            finally
            {
                _agent.SessionLoopEnded();
            }
        }
    }

    private async Task<ConnectionOutcome> ReceiveLoopAsync(ClientWebSocket socket, WebSocketMessageReader reader, CancellationToken cancellationToken)
    {
        InboundHandler inbound = _agent.Inbound;
        try
        {
            while (true)
            {
                ReceiveStatus status = await reader.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                switch (status)
                {
                    case ReceiveStatus.Closed:
                        return ConnectionOutcome.Closed(socket, wasOnline: true, _logger, _agent.DeviceId);
                    case ReceiveStatus.TooLarge:
                        inbound.Reject("too_large", $"{reader.LastRejectedSize} bytes over the {_agent.Options.MaxMessageBytes}-byte limit");
                        break;
                    case ReceiveStatus.InvalidUtf8:
                        inbound.Reject("invalid_utf8", null);
                        break;
                    default:
                        if (reader.CurrentType == WebSocketMessageType.Binary)
                        {
                            inbound.HandleBinary(reader.Current);
                        }
                        else
                        {
                            inbound.Handle(reader.Current);
                        }

                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new ConnectionOutcome(true, false, "stopped", null);
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            return new ConnectionOutcome(true, false, "connection lost: " + ex.Message, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug or a failing subscriber/logger while handling one message: end this session cleanly (the caller
            // stops the other loops) rather than fault the task; the agent reconnects with fresh state.
            AgentLog.ReceiveLoopFailed(_logger, ex);
            return new ConnectionOutcome(true, false, "receive loop failed: " + ex.Message, ex);
        }
    }

    private async Task StopReceivingAsync(ClientWebSocket socket, Task<ConnectionOutcome> receive, CancellationTokenSource receiving, CancellationToken stopping)
    {
        if (!receive.IsCompleted)
        {
            // Say goodbye properly, then give the hub a moment to answer the close before cutting the socket.
            await CloseQuietlyAsync(socket, stopping.IsCancellationRequested).ConfigureAwait(false);
            try
            {
                await receive.WaitAsync(TimeSpan.FromSeconds(2), _agent.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await receiving.CancelAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The loop ended on its own; its outcome no longer matters.
            }
        }
        else if (socket.State == WebSocketState.CloseReceived)
        {
            await CloseQuietlyAsync(socket, stopping.IsCancellationRequested).ConfigureAwait(false);
        }

        await AwaitQuietlyAsync(receive).ConfigureAwait(false);
    }

    private async Task AwaitQuietlyAsync(Task<ConnectionOutcome> loop)
    {
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or IOException)
        {
            // Expected: the loop was cut off.
        }
        catch (Exception ex)
        {
            // Unexpected, and already the reason the session ended; it must not stop the others from being awaited.
            AgentLog.ReceiveLoopFailed(_logger, ex);
        }
    }

    private async Task CloseQuietlyAsync(ClientWebSocket socket, bool stopping)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2), _agent.Time);
        try
        {
            await socket.CloseOutputAsync(
                WebSocketCloseStatus.NormalClosure,
                stopping ? "agent stopping" : "reconnecting",
                deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            AgentLog.CloseFailed(_logger, ex.Message);
        }
    }
}
