import { DurableObject } from 'cloudflare:workers'

interface FloorEnv {
  FLOOR: DurableObjectNamespace<Floor>
}

/** Accepts hibernatable sockets; POST /broadcast sends the body to every one of them. */
export class Floor extends DurableObject<FloorEnv> {
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('Upgrade') === 'websocket') {
      const { 0: client, 1: server } = new WebSocketPair()
      this.ctx.acceptWebSocket(server)
      return new Response(null, { status: 101, webSocket: client })
    }
    const text = await request.text()
    for (const socket of this.ctx.getWebSockets()) socket.send(text)
    return new Response('ok')
  }
}

export default {
  fetch(request: Request, env: FloorEnv) {
    return env.FLOOR.get(env.FLOOR.idFromName('room')).fetch(request)
  },
} satisfies ExportedHandler<FloorEnv>
