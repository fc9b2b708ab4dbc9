import { fromBase64, timingSafeEqual, toBase64 } from './ids'

/** Standard Webhooks (standardwebhooks.com): HMAC-SHA256 over `id.timestamp.body`. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60

function secretBytes(secret: string): Uint8Array {
  return fromBase64(secret.startsWith('whsec_') ? secret.slice(6) : secret)
}

async function hmac(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', secretBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(message)))
}

/** Headers for an outgoing signed delivery. */
export async function signWebhook(secret: string, id: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = toBase64(await hmac(secret, `${id}.${timestamp}.${body}`))
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  }
}

export type WebhookVerdict = { ok: true; id: string } | { ok: false; reason: string }

/**
 * Verifies a delivery: all three headers present, timestamp within 5 minutes either way, and
 * one of the space-separated `v1,` signatures matching (constant-time).
 */
export async function verifyWebhook(
  secret: string,
  headers: Headers,
  body: string,
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
  const expected = await hmac(secret, `${id}.${timestamp}.${body}`)
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
