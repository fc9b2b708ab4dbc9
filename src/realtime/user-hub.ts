import { DurableObject } from 'cloudflare:workers'

interface OutgoingEvent {
  type: string
  data: unknown
  ts: string
}

/**
 * One per user: owns the user's WebSockets (`/api/ws`, every device) and pushes task and
 * credit events to them. Sockets hibernate: an idle hub costs no duration, and `{"type":"ping"}`
 * is answered by the runtime without waking the object.
 */
export class UserHub extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'))
  }

  /** Accepts a socket the Worker already authenticated (the object is not reachable otherwise). */
  override async fetch(request: Request): Promise<Response> {
    const userId = request.headers.get('X-Darkroom-User')
    if (request.headers.get('Upgrade')?.toLowerCase() !== 'websocket' || !userId) {
      return Response.json({ success: false, error: 'Expected a WebSocket upgrade', code: 'VALIDATION_ERROR' }, { status: 426 })
    }
    const { 0: client, 1: server } = new WebSocketPair()
    this.ctx.acceptWebSocket(server, [userId])
    server.send(JSON.stringify({ type: 'connected', data: { userId, devices: this.ctx.getWebSockets().length }, ts: new Date().toISOString() }))
    return new Response(null, { status: 101, webSocket: client })
  }

  /** Sends one event to every connected device; a dead socket is dropped, never blocking others. */
  async publish(event: OutgoingEvent): Promise<number> {
    const frame = JSON.stringify(event)
    let delivered = 0
    for (const socket of this.ctx.getWebSockets()) {
      try {
        socket.send(frame)
        delivered++
      } catch {
        try {
          socket.close(1011, 'send failed')
        } catch {
          // already closed
        }
      }
    }
    return delivered
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message !== 'string') return
    let parsed: { type?: unknown } | null = null
    try {
      parsed = JSON.parse(message) as { type?: unknown }
    } catch {
      // ignore non-JSON
    }
    // Pings with extra fields miss the auto-response; answer them here.
    if (parsed?.type === 'ping') socket.send('{"type":"pong"}')
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    try {
      socket.close(code === 1005 ? 1000 : code, 'closing')
    } catch {
      // already closed
    }
  }
}
