import { requireSecret } from './locality'
import { fromBase64, timingSafeEqual, toBase64Url } from './ids'

const keys = new Map<string, Promise<CryptoKey>>()

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    keys.set(secret, key)
  }
  return key
}

async function sign(env: Env, message: string): Promise<Uint8Array> {
  const key = await hmacKey(requireSecret(env, 'URL_SIGNING_SECRET'))
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message)))
}

export const MAX_SIGNED_URL_SECONDS = 7 * 86_400
const BUCKET_SECONDS = 6 * 3600

/**
 * An expiry that stays the same for hours, so signed URLs (and the browser caches keyed by
 * them) are stable: valid for between 6 and 12 hours from now.
 */
export function stableExpiry(now = Date.now()): number {
  return (Math.ceil(now / 1000 / BUCKET_SECONDS) + 1) * BUCKET_SECONDS
}

/** `?exp=&sig=` query for reading `resource` until `exp` (unix seconds). */
export async function signResource(env: Env, resource: string, exp: number): Promise<string> {
  const sig = toBase64Url(await sign(env, `${resource}:${exp}`))
  return `exp=${exp}&sig=${sig}`
}

/** True when `sig` signs `resource` until `exp`, `exp` is in the future and not too far. */
export async function verifyResourceSignature(
  env: Env,
  resource: string,
  exp: string | undefined,
  sig: string | undefined,
  now = Date.now(),
): Promise<boolean> {
  if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{20,100}$/.test(sig)) return false
  const expiry = Number(exp)
  const nowSeconds = Math.floor(now / 1000)
  if (expiry <= nowSeconds || expiry > nowSeconds + MAX_SIGNED_URL_SECONDS + BUCKET_SECONDS) return false
  const expected = await sign(env, `${resource}:${expiry}`)
  try {
    return timingSafeEqual(expected, fromBase64(sig))
  } catch {
    return false // not valid base64: not a signature
  }
}
