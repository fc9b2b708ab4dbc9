import type { UrlContext } from '../features/live/photos'

/** `all`: owner and guests; `owner` or `guests`: only them. */
export type Audience = 'all' | 'owner' | 'guests'

/** An event as the Worker hands it over; the room gives it its `seq`. */
export interface RoomEvent {
  type: 'photo.added' | 'photo.updated' | 'photo.removed' | 'session.updated' | 'upload.progress' | 'session.verify_paused'
  data: unknown
  audience: Audience
  /** Ephemeral events (upload progress) are not stored and carry no seq. */
  ephemeral?: boolean
}

/** What the room knows of its session; the Worker sends it with every publish and connect. */
export interface RoomContext extends UrlContext {
  sessionId: string
  /** Epoch ms after which guests are closed (null: no end time). */
  endsAt: number | null
  ended: boolean
  /** Development on localhost: signing may use the development fallback secrets. */
  local: boolean
}


/** Per-socket state of a live room, kept in the hibernation-safe attachment. */
export interface Attachment {
  role: 'owner' | 'guest' | 'pending' | 'authenticating'
  /** IPv4 address or IPv6 /64 the socket came from (caps per network). */
  network: string
  guestId?: string | null
  /** The owner's auth session: revoking it closes the socket. */
  authSessionId?: string | null
  /** Epoch ms when the token that opened the socket expires; re-authenticating extends it. */
  expiresAt?: number | null
  /** Pending sockets: when they must have authenticated. */
  deadline?: number | undefined
  /** The `after` the client asked to resume from. */
  after?: number | undefined
  /** The log's last seq when the socket was admitted: later events are sent live, earlier ones replayed. */
  joinedSeq: number
}

/** The identity the Worker verified for a socket, or a pending one (first-frame auth). */
export interface SocketIdentity {
  role: 'owner' | 'guest'
  guestId: string | null
  authSessionId: string | null
  expiresAt: number | null
}

export const SOCKET_CAPS = {
  /** Tabs and devices of one guest (one viewer token). */
  perGuest: 4,
  /** One public IPv4 address (a venue NAT) or IPv6 /64. */
  perNetwork: 1_000,
}
export const AUTH_TIMEOUT_MS = 5000

/** The attachment of a socket being accepted, from the Worker's headers. */
export function identityAttachment(request: Request, lastSeq: number): Attachment {
  const afterParam = new URL(request.url).searchParams.get('after')
  const after = afterParam && /^\d{1,15}$/.test(afterParam) ? Number(afterParam) : undefined
  const network = request.headers.get('X-Live-Network') ?? 'unknown'
  const role = request.headers.get('X-Live-Role')
  if (role === 'owner' || role === 'guest') {
    const identity = JSON.parse(request.headers.get('X-Live-Identity') ?? '{}') as Partial<SocketIdentity>
    return {
      role,
      network,
      guestId: identity.guestId ?? null,
      authSessionId: identity.authSessionId ?? null,
      expiresAt: identity.expiresAt ?? null,
      after,
      joinedSeq: lastSeq,
    }
  }
  return { role: 'pending', network, deadline: Date.now() + AUTH_TIMEOUT_MS, after, joinedSeq: lastSeq }
}

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

/** The next moment a socket must be closed (auth deadline, token expiry) or guests must go (`endsAt`). */
export function nextDeadline(sockets: WebSocket[], endsAt: number | null, now: number): number | null {
  let next: number | null = endsAt !== null && endsAt > now ? endsAt : null
  for (const socket of sockets) {
    const a = socket.deserializeAttachment() as Attachment | null
    if (!a) continue
    const at = a.role === 'pending' || a.role === 'authenticating' ? a.deadline : a.expiresAt
    if (at && at > now && (next === null || at < next)) next = at
  }
  return next
}
