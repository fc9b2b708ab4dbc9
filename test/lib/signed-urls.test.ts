import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { MAX_SIGNED_URL_SECONDS, signResource, stableExpiry, verifyResourceSignature } from '../../src/lib/signed-urls'

// Signed URLs are the only way a private image reaches someone without a token (an <img> tag, a
// shared link), so every way of stretching or forging one must be refused.

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0)
const nowSeconds = Math.floor(NOW / 1000)
const RESOURCE = 'image:img_test:original'

async function signed(resource: string, exp: number) {
  const params = new URLSearchParams(await signResource(env, resource, exp))
  return { exp: params.get('exp')!, sig: params.get('sig')! }
}

describe('signed URLs', () => {
  it('accepts its own signature for the same resource before expiry', async () => {
    const { exp, sig } = await signed(RESOURCE, nowSeconds + 3600)
    expect(exp).toBe(String(nowSeconds + 3600))
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/) // HMAC-SHA256, base64url without padding
    expect(await verifyResourceSignature(env, RESOURCE, exp, sig, NOW)).toBe(true)
  })

  it('binds the signature to the resource and the expiry', async () => {
    const { exp, sig } = await signed(RESOURCE, nowSeconds + 3600)
    // Same image, another variant; another image; a longer expiry with the old signature.
    expect(await verifyResourceSignature(env, 'image:img_test:thumb', exp, sig, NOW)).toBe(false)
    expect(await verifyResourceSignature(env, 'image:img_other:original', exp, sig, NOW)).toBe(false)
    expect(await verifyResourceSignature(env, RESOURCE, String(nowSeconds + 7200), sig, NOW)).toBe(false)
  })

  it('refuses a tampered signature (one character changed) and malformed input', async () => {
    const { exp, sig } = await signed(RESOURCE, nowSeconds + 3600)
    const flipped = (sig[5] === 'A' ? 'B' : 'A')
    const tampered = sig.slice(0, 5) + flipped + sig.slice(6)
    expect(await verifyResourceSignature(env, RESOURCE, exp, tampered, NOW)).toBe(false)
    expect(await verifyResourceSignature(env, RESOURCE, exp, sig.slice(0, -1), NOW)).toBe(false)
    expect(await verifyResourceSignature(env, RESOURCE, exp, undefined, NOW)).toBe(false)
    expect(await verifyResourceSignature(env, RESOURCE, undefined, sig, NOW)).toBe(false)
    expect(await verifyResourceSignature(env, RESOURCE, `${exp}.5`, sig, NOW)).toBe(false)
    expect(await verifyResourceSignature(env, RESOURCE, exp, `${sig}!`, NOW)).toBe(false)
  })

  it('refuses expired signatures, including at the exact expiry second', async () => {
    const { exp, sig } = await signed(RESOURCE, nowSeconds + 60)
    expect(await verifyResourceSignature(env, RESOURCE, exp, sig, NOW + 59_000)).toBe(true)
    expect(await verifyResourceSignature(env, RESOURCE, exp, sig, NOW + 60_000)).toBe(false)
    expect(await verifyResourceSignature(env, RESOURCE, exp, sig, NOW + 86_400_000)).toBe(false)
  })

  it('refuses expiries too far in the future, even when correctly signed', async () => {
    // A leaked signing path must not mint links that live for years.
    const limit = nowSeconds + MAX_SIGNED_URL_SECONDS + 6 * 3600
    const atLimit = await signed(RESOURCE, limit)
    expect(await verifyResourceSignature(env, RESOURCE, atLimit.exp, atLimit.sig, NOW)).toBe(true)
    const beyond = await signed(RESOURCE, limit + 1)
    expect(await verifyResourceSignature(env, RESOURCE, beyond.exp, beyond.sig, NOW)).toBe(false)
    const years = await signed(RESOURCE, nowSeconds + 10 * 365 * 86_400)
    expect(await verifyResourceSignature(env, RESOURCE, years.exp, years.sig, NOW)).toBe(false)
  })

  it('stableExpiry stays fixed within a 6-hour bucket and is 6 to 12 hours ahead', () => {
    const bucket = 6 * 3600
    const start = Math.ceil(NOW / 1000 / bucket) * bucket * 1000 // a bucket boundary
    const first = stableExpiry(start + 1000)
    expect(stableExpiry(start + bucket * 1000 - 1000)).toBe(first)
    expect(stableExpiry(start + bucket * 1000 + 1000)).toBe(first + bucket)
    for (const t of [start + 1000, start + 3 * 3600_000, start + bucket * 1000 - 1000]) {
      const ahead = stableExpiry(t) - t / 1000
      expect(ahead).toBeGreaterThanOrEqual(6 * 3600)
      expect(ahead).toBeLessThanOrEqual(12 * 3600)
    }
  })
})
