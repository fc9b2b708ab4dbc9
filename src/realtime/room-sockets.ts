/**
 * Generic socket limits of a room Durable Object (no feature knowledge): how many sockets one
 * network or one viewer may hold, how long a socket may stay unauthenticated, and how many
 * frames a client may send.
 */

export const SOCKET_CAPS = {
  /** Tabs and devices of one guest (one viewer token). */
  perGuest: 4,
  /** One public IPv4 address (a venue NAT) or IPv6 /64. */
  perNetwork: 1_000,
}
export const AUTH_TIMEOUT_MS = 5000

/**
 * Frames a socket may send: pings are answered by the runtime without counting; anything else
 * beyond 20 frames in 10 seconds closes the socket (clients have next to nothing to say).
 */
export class FrameBudget {
  private readonly seen = new WeakMap<WebSocket, { start: number; count: number }>()

  allow(socket: WebSocket, now = Date.now()): boolean {
    const entry = this.seen.get(socket)
    if (!entry || now - entry.start > 10_000) {
      this.seen.set(socket, { start: now, count: 1 })
      return true
    }
    entry.count++
    return entry.count <= 20
  }
}
