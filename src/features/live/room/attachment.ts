import { AUTH_TIMEOUT_MS } from '../../../realtime/room-sockets'

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
