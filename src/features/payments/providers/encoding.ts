import { configurationError } from '../../../lib/errors'
import { fromBase64 } from '../../../lib/ids'

/**
 * Byte, base64, hex and PEM helpers shared by the payment providers. Everything runs on
 * WebCrypto (no Node crypto). Keys imported from PEM are cached per isolate by their text.
 */

const encoder = new TextEncoder()

export const utf8 = (text: string): Uint8Array => encoder.encode(text)

/** A body as its exact bytes: text is UTF-8 encoded, bytes are used as given. */
export const bytesOf = (body: string | Uint8Array): Uint8Array => (typeof body === 'string' ? utf8(body) : body)

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** Standard base64 (padding optional) decoded, or null when `text` is not base64. */
export function decodeBase64(text: string): Uint8Array | null {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) || trimmed.replace(/=+$/, '').length % 4 === 1) return null
  try {
    return fromBase64(trimmed)
  } catch {
    return null
  }
}

/** Lower- or upper-case hex decoded, or null. */
export function decodeHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null
  const out = new Uint8Array(text.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** A random string of `length` upper-case letters and digits (WeChat nonces: at most 32). */
export function randomNonce(length = 32): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
  let out = ''
  for (const byte of crypto.getRandomValues(new Uint8Array(length))) out += alphabet[byte % alphabet.length]
  return out
}

/**
 * The DER bytes inside a PEM block labelled `label`, or null. Accepts `\n` escaped as the two
 * characters backslash-n (how multi-line secrets often arrive through env files and dashboards).
 */
function pemDer(pem: string, label: string): Uint8Array | null {
  const text = pem.replace(/\\n/g, '\n').trim()
  const match = new RegExp(`^-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----$`).exec(text)
  if (!match?.[1]) return null
  const der = decodeBase64(match[1].replace(/\s+/g, ''))
  return der && der.length > 0 ? der : null
}

const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const
const keyCache = new Map<string, Promise<CryptoKey>>()

function cachedKey(cacheKey: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let key = keyCache.get(cacheKey)
  if (!key) {
    key = make()
    keyCache.set(cacheKey, key)
    // A failed import is not remembered: a corrected secret works without a new isolate.
    key.catch(() => keyCache.delete(cacheKey))
  }
  return key
}

/**
 * An RSA private key (PKCS#8 PEM, `-----BEGIN PRIVATE KEY-----`) for RSASSA-PKCS1-v1_5 SHA-256
 * signing. A key that is not PKCS#8 is a CONFIGURATION_ERROR naming `variable` (never the value).
 */
export function importRsaPrivateKey(pem: string, variable: string): Promise<CryptoKey> {
  return cachedKey(`private:${pem}`, async () => {
    const der = pemDer(pem, 'PRIVATE KEY')
    if (!der) throw configurationError(`${variable} must be a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)`)
    try {
      return await crypto.subtle.importKey('pkcs8', der, RSA_SHA256, false, ['sign'])
    } catch {
      throw configurationError(`${variable} is not a usable RSA private key`)
    }
  })
}

/** An RSA public key (SPKI PEM, `-----BEGIN PUBLIC KEY-----`) for RSASSA-PKCS1-v1_5 SHA-256 verification. */
export function importRsaPublicKey(pem: string, variable: string): Promise<CryptoKey> {
  return cachedKey(`public:${pem}`, async () => {
    const der = pemDer(pem, 'PUBLIC KEY')
    if (!der) throw configurationError(`${variable} must be an SPKI PEM public key (-----BEGIN PUBLIC KEY-----)`)
    try {
      return await crypto.subtle.importKey('spki', der, RSA_SHA256, false, ['verify'])
    } catch {
      throw configurationError(`${variable} is not a usable RSA public key`)
    }
  })
}

/** RSASSA-PKCS1-v1_5 SHA-256 signature of `message`, base64. */
export async function rsaSign(key: CryptoKey, message: string | Uint8Array): Promise<string> {
  const signature = new Uint8Array(await crypto.subtle.sign(RSA_SHA256, key, bytesOf(message)))
  let binary = ''
  for (const byte of signature) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** Whether `signature` (raw bytes) is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `message`; never throws. */
export async function rsaVerify(key: CryptoKey, message: Uint8Array, signature: Uint8Array): Promise<boolean> {
  try {
    return await crypto.subtle.verify(RSA_SHA256, key, signature, message)
  } catch {
    return false
  }
}
