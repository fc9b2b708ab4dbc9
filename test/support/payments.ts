import { expect } from 'vitest'
import { ApiError, type ErrorCode } from '../../src/lib/errors'
import { base64 } from './generation'

/**
 * The providers' side of the payment tests, written from their documentation (not from
 * src/features/payments): RSA key pairs made here with WebCrypto, WeChat Pay's notification
 * signatures and AES-256-GCM resources, and Stripe's `Stripe-Signature` header.
 */

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const
const enc = (text: string) => new TextEncoder().encode(text)

function pem(label: string, der: ArrayBuffer): string {
  const lines = base64(new Uint8Array(der)).match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

export interface RsaPair {
  privateKey: CryptoKey
  publicKey: CryptoKey
  privateKeyPem: string
  publicKeyPem: string
}

/** A fresh RSA-2048 key pair, exported as PKCS#8 and SPKI PEM like WeChat's key files. */
export async function rsaPair(): Promise<RsaPair> {
  const pair = (await crypto.subtle.generateKey(
    { ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair
  return {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    privateKeyPem: pem('PRIVATE KEY', (await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer),
    publicKeyPem: pem('PUBLIC KEY', (await crypto.subtle.exportKey('spki', pair.publicKey)) as ArrayBuffer),
  }
}

export async function rsaSignBase64(key: CryptoKey, message: string): Promise<string> {
  return base64(new Uint8Array(await crypto.subtle.sign(RSA, key, enc(message))))
}

export async function rsaVerifyBase64(key: CryptoKey, message: string, signatureB64: string): Promise<boolean> {
  const signature = Uint8Array.from(atob(signatureB64), (c) => c.charCodeAt(0))
  return crypto.subtle.verify(RSA, key, signature, enc(message))
}

/** WeChat signing a notification or an answer: base64 RSA-SHA256 over `timestamp\nnonce\nbody\n`. */
export async function wechatSignedHeaders(
  platform: CryptoKey,
  body: string,
  opts: { serial: string; timestamp?: number; nonce?: string },
): Promise<Record<string, string>> {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000))
  const nonce = opts.nonce ?? `nonce${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`
  return {
    'content-type': 'application/json',
    'wechatpay-timestamp': timestamp,
    'wechatpay-nonce': nonce,
    'wechatpay-serial': opts.serial,
    'wechatpay-signature': await rsaSignBase64(platform, `${timestamp}\n${nonce}\n${body}\n`),
  }
}

/** WeChat encrypting a resource: AES-256-GCM under the APIv3 key, ciphertext‖tag base64, nonce and AD as text. */
export async function wechatResource(apiV3Key: string, plaintext: string, opts: { nonce?: string; associatedData?: string } = {}) {
  const nonce = opts.nonce ?? 'fdasflkja484'
  const associatedData = opts.associatedData ?? 'transaction'
  const key = await crypto.subtle.importKey('raw', enc(apiV3Key), 'AES-GCM', false, ['encrypt'])
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: enc(nonce), additionalData: enc(associatedData), tagLength: 128 }, key, enc(plaintext))
  return {
    original_type: 'transaction',
    algorithm: 'AEAD_AES_256_GCM',
    ciphertext: base64(new Uint8Array(sealed)),
    nonce,
    associated_data: associatedData,
  }
}

/** Stripe's `v1`: lower-case hex HMAC-SHA256 of `${t}.${body}`, the whole `whsec_…` string as the key. */
export async function stripeV1(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', enc(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc(`${timestamp}.${body}`)))
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Awaits `promise`, which must reject with an ApiError of `code` (never a raw exception); returns it. */
export async function expectApiError(promise: Promise<unknown>, code: ErrorCode): Promise<ApiError> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  expect(caught, 'expected a rejection').toBeInstanceOf(ApiError)
  expect((caught as ApiError).code).toBe(code)
  return caught as ApiError
}
