import type { LiveSession } from '../../../db/schema'
import { requireSecret } from '../../../lib/locality'
import { invalidCredentials, rateLimited } from '../../../lib/errors'
import { newId, timingSafeEqual, toBase64Url } from '../../../lib/ids'
import { networkOf } from '../../../lib/network'
import { countHits, hitRateLimits, undoHits, type RateLimitRule } from '../../../lib/rate-limit'
import { publishToRoom } from '../room/service'

/**
 * Wrong access codes: counted per network (IPv4 address, IPv6 /64) and per session, FIRST and
 * atomically, so parallel guesses cannot all pass a check. A right code takes its hit back.
 */
export const WRONG_CODE_PER_NETWORK: RateLimitRule = { limit: 20, windowSeconds: 600 }
/** Every network together: when spent, verification pauses for new devices until the window ends. */
export const WRONG_CODE_PER_SESSION: RateLimitRule = { limit: 200, windowSeconds: 600 }
/** New guests (devices never seen in this session) one network may mint: a venue NAT holds many phones. */
export const NEW_GUESTS_PER_NETWORK: RateLimitRule = { limit: 300, windowSeconds: 600 }

export interface VerifyInput {
  accessCode?: string | undefined
  deviceId?: string | undefined
  nickname?: string | undefined
}

export interface VerifiedGuest {
  guestId: string
  nickname: string | null
  isNew: boolean
}

function codeMatches(given: string, expected: string): boolean {
  const enc = new TextEncoder()
  // Case-sensitive like the stored code; compared in constant time.
  return timingSafeEqual(enc.encode(given.trim()), enc.encode(expected))
}

/** The device id is a client secret: only an HMAC of it (per session) is stored. */
async function deviceHash(env: Env, sessionId: string, deviceId: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(requireSecret(env, 'JWT_SECRET')), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`live-device:${sessionId}:${deviceId}`))
  return toBase64Url(new Uint8Array(mac))
}

const wrongCode = (message: string) => invalidCredentials(message)

/**
 * Checks a guest's access code and returns their stable identity: the same `deviceId` is the
 * same guest (likes and views count once per guest). Ended sessions are refused by the caller.
 */
export async function verifyGuest(env: Env, session: LiveSession, input: VerifyInput, ip: string): Promise<VerifiedGuest> {
  const d1 = env.DB
  const network = networkOf(ip)
  const hash = input.deviceId ? await deviceHash(env, session.id, input.deviceId) : null
  const known = hash
    ? await d1.prepare('SELECT id, nickname FROM live_guests WHERE session_id = ?1 AND device_hash = ?2').bind(session.id, hash).first<{ id: string; nickname: string | null }>()
    : null

  if (session.accessCode !== null) {
    // No code at all is a question ("is this session open?"), not a guess: it is not counted.
    if (!input.accessCode) throw wrongCode('This live session needs its access code')
    const right = codeMatches(input.accessCode, session.accessCode)
    // A device that verified before keeps getting in with the right code, even while this
    // network or the whole session is throttled (a venue NAT full of typos, an attack).
    if (!(right && known)) {
      const hits = await countHits(d1, [
        [`live-code:${session.id}:${network}`, WRONG_CODE_PER_NETWORK],
        [`live-code:${session.id}`, WRONG_CODE_PER_SESSION],
      ])
      const [perNetwork, perSession] = hits as [(typeof hits)[0], (typeof hits)[0]]
      if (perSession.crossed) await notifyOwnerPaused(env, session, perSession.retryAfter)
      if (perSession.over) {
        throw rateLimited(perSession.retryAfter, 'Too many wrong codes for this session: new devices are paused for a few minutes')
      }
      if (perNetwork.over) throw rateLimited(perNetwork.retryAfter, 'Too many wrong codes from your network: try again later')
      if (!right) throw wrongCode('Wrong access code')
      await undoHits(d1, hits)
    }
  }

  const nickname = input.nickname?.trim().slice(0, 40) || null
  const now = Date.now()
  if (known) {
    await d1
      .prepare('UPDATE live_guests SET last_seen_at = ?1, nickname = COALESCE(?2, nickname) WHERE id = ?3')
      .bind(now, nickname, known.id)
      .run()
    return { guestId: known.id, nickname: nickname ?? known.nickname, isNew: false }
  }
  await hitRateLimits(d1, [[`live-guest:${session.id}:${network}`, NEW_GUESTS_PER_NETWORK]])
  // Two verifies of one new device at once end as one guest: the unique index decides.
  const row = await d1
    .prepare(
      `INSERT INTO live_guests (id, session_id, device_hash, nickname, created_at, last_seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
       ON CONFLICT (session_id, device_hash) DO UPDATE SET last_seen_at = excluded.last_seen_at, nickname = COALESCE(excluded.nickname, nickname)
       RETURNING id, nickname`,
    )
    .bind(newId('gst'), session.id, hash, nickname, now)
    .first<{ id: string; nickname: string | null }>()
  return { guestId: row!.id, nickname: row!.nickname, isNew: true }
}

/** The session's wrong-code budget just ran out: tell the photographer (owner sockets only). */
async function notifyOwnerPaused(env: Env, session: LiveSession, seconds: number) {
  await publishToRoom(env, session, [
    {
      type: 'session.verify_paused',
      data: { sessionId: session.id, until: new Date(Date.now() + seconds * 1000).toISOString(), reason: 'Too many wrong access codes' },
      audience: 'owner',
    },
  ])
}
