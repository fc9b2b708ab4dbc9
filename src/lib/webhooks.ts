import { fromBase64, timingSafeEqual, toBase64 } from './ids'

/** Standard Webhooks (standardwebhooks.com): HMAC-SHA256 over `id.timestamp.body`. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60

function secretBytes(secret: string): Uint8Array {
  return fromBase64(secret.startsWith('whsec_') ? secret.slice(6) : secret)
}

/** The signed content `id.timestamp.body`, with the body as its exact bytes (never re-encoded text). */
function signedContent(id: string, timestamp: string, body: string | Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`)
  const payload = typeof body === 'string' ? new TextEncoder().encode(body) : body
  const out = new Uint8Array(prefix.length + payload.length)
  out.set(prefix)
  out.set(payload, prefix.length)
  return out
}

async function hmac(secret: string, message: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', secretBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, message))
}

/** Headers for an outgoing signed delivery. */
export async function signWebhook(secret: string, id: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = toBase64(await hmac(secret, signedContent(id, String(timestamp), body)))
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  }
}

export type WebhookVerdict = { ok: true; id: string } | { ok: false; reason: string }

/**
 * Verifies a delivery: all three headers present, timestamp within 5 minutes either way, and
 * one of the space-separated `v1,` signatures matching (constant-time). Pass the RAW body bytes:
 * decoding to text first would drop a BOM and replace invalid UTF-8, so different bytes could verify.
 */
export async function verifyWebhook(
  secret: string,
  headers: Headers,
  body: string | Uint8Array,
  now = Date.now(),
): Promise<WebhookVerdict> {
  const id = headers.get('webhook-id')
  const timestamp = headers.get('webhook-timestamp')
  const signatures = headers.get('webhook-signature')
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'Missing webhook-id, webhook-timestamp or webhook-signature header' }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'Invalid webhook-timestamp' }
  if (Math.abs(Math.floor(now / 1000) - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'Webhook timestamp is outside the 5 minute tolerance' }
  }
  const expected = await hmac(secret, signedContent(id, timestamp, body))
  for (const candidate of signatures.split(' ')) {
    const [version, value] = candidate.split(',', 2)
    if (version !== 'v1' || !value) continue
    try {
      if (timingSafeEqual(expected, fromBase64(value))) return { ok: true, id }
    } catch {
      // not base64: not a match
    }
  }
  return { ok: false, reason: 'No matching webhook signature' }
}
