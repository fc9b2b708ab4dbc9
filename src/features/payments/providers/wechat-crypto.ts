import { badRequest, configurationError, invalidSignature } from '../../../lib/errors'
import { bytesOf, concatBytes, decodeBase64, importRsaPrivateKey, importRsaPublicKey, randomNonce, rsaSign, rsaVerify, utf8 } from './encoding'
import type { WechatRequestPayment } from './types'

/**
 * WeChat Pay API v3 cryptography on WebCrypto: the merchant's request signature (`Authorization`),
 * the mini-program `paySign`, verification of WeChat's signed notifications and answers
 * (`Wechatpay-*` headers, platform public key), and AEAD_AES_256_GCM resource decryption.
 */

export const WECHAT_AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048'
/** Notifications and answers older (or newer) than this are refused as replays. */
export const WECHAT_TOLERANCE_SECONDS = 5 * 60

export interface WechatSigningKey {
  mchId: string
  /** The merchant API certificate's serial number. */
  serialNo: string
  /** PKCS#8 PEM (apiclient_key.pem). */
  privateKeyPem: string
}

export interface WechatPlatformKey {
  /** SPKI PEM of the WeChat Pay platform certificate, or the "WeChat Pay public key". */
  platformPublicKeyPem: string
  /** Its serial (`Wechatpay-Serial`): a certificate serial or a `PUB_KEY_ID_…`. */
  platformSerial: string
}

const unixSeconds = (ms: number) => Math.floor(ms / 1000)

/** The five-line string a request signature covers; every line ends with `\n`, the last too. */
export function requestSignatureMessage(method: string, pathWithQuery: string, timestamp: string, nonce: string, body: string): string {
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${nonce}\n${body}\n`
}

/**
 * The `Authorization` header of an API v3 request: `WECHATPAY2-SHA256-RSA2048 mchid="…",
 * nonce_str="…",signature="…",timestamp="…",serial_no="…"`, signing method, the path with its
 * query, timestamp, nonce and the exact body sent ('' for GET).
 */
export async function wechatAuthorization(
  key: WechatSigningKey,
  request: { method: string; pathWithQuery: string; body: string },
  options: { timestamp?: number; nonce?: string; now?: number } = {},
): Promise<string> {
  const timestamp = String(options.timestamp ?? unixSeconds(options.now ?? Date.now()))
  const nonce = options.nonce ?? randomNonce()
  const privateKey = await importRsaPrivateKey(key.privateKeyPem, 'WECHAT_PAY_PRIVATE_KEY')
  const signature = await rsaSign(privateKey, requestSignatureMessage(request.method, request.pathWithQuery, timestamp, nonce, request.body))
  return `${WECHAT_AUTH_SCHEME} mchid="${key.mchId}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${key.serialNo}"`
}

/**
 * The `wx.requestPayment` parameters for a prepay id: `paySign` is the merchant key's
 * RSA-SHA256 signature over `appId\ntimeStamp\nnonceStr\npackage\n` (the appId is signed but
 * not passed: the mini-program supplies its own).
 */
export async function wechatRequestPayment(
  key: { appId: string; privateKeyPem: string },
  prepayId: string,
  options: { timestamp?: number; nonce?: string; now?: number } = {},
): Promise<WechatRequestPayment> {
  const timeStamp = String(options.timestamp ?? unixSeconds(options.now ?? Date.now()))
  const nonceStr = options.nonce ?? randomNonce()
  const pkg = `prepay_id=${prepayId}`
  const privateKey = await importRsaPrivateKey(key.privateKeyPem, 'WECHAT_PAY_PRIVATE_KEY')
  const paySign = await rsaSign(privateKey, `${key.appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`)
  return { timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign }
}

/**
 * Verifies a message signed by WeChat Pay (a notification, or an API answer): the four
 * `Wechatpay-*` headers present, `Wechatpay-Serial` the configured platform serial, the timestamp
 * within 5 minutes of `now` either way, and `Wechatpay-Signature` (base64 RSA-SHA256) valid over
 * `timestamp\nnonce\nbody\n` with the platform public key. Pass the RAW body bytes. Throws
 * INVALID_SIGNATURE with the reason; a bad platform key is CONFIGURATION_ERROR.
 */
export async function verifyWechatSignature(key: WechatPlatformKey, headers: Headers, body: string | Uint8Array, now: number): Promise<void> {
  const timestamp = headers.get('wechatpay-timestamp')
  const nonce = headers.get('wechatpay-nonce')
  const signature = headers.get('wechatpay-signature')
  const serial = headers.get('wechatpay-serial')
  if (!timestamp || !nonce || !signature || !serial) {
    throw invalidSignature('Missing Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Signature or Wechatpay-Serial header')
  }
  if (serial.trim().toUpperCase() !== key.platformSerial.trim().toUpperCase()) {
    throw invalidSignature('Wechatpay-Serial is not the configured platform key serial')
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw invalidSignature('Wechatpay-Timestamp is not a Unix time in seconds')
  if (Math.abs(unixSeconds(now) - Number(timestamp)) > WECHAT_TOLERANCE_SECONDS) {
    throw invalidSignature('Wechatpay-Timestamp is outside the 5 minute tolerance')
  }
  // WeChat probes merchants with deliberately wrong signatures prefixed WECHATPAY/SIGNTEST/.
  if (signature.startsWith('WECHATPAY/SIGNTEST/')) throw invalidSignature('Wechatpay-Signature is a signature probe')
  const signatureBytes = decodeBase64(signature)
  if (!signatureBytes || signatureBytes.length === 0) throw invalidSignature('Wechatpay-Signature is not base64')
  const publicKey = await importRsaPublicKey(key.platformPublicKeyPem, 'WECHAT_PAY_PLATFORM_PUBLIC_KEY')
  const message = concatBytes(utf8(`${timestamp}\n${nonce}\n`), bytesOf(body), utf8('\n'))
  if (!(await rsaVerify(publicKey, message, signatureBytes))) throw invalidSignature('Wechatpay-Signature does not match')
}

export interface WechatEncryptedResource {
  algorithm: string
  ciphertext: string
  nonce: string
  associated_data?: string
}

function isEncryptedResource(value: unknown): value is WechatEncryptedResource {
  if (typeof value !== 'object' || value === null) return false
  const r = value as Record<string, unknown>
  return (
    typeof r.algorithm === 'string' &&
    typeof r.ciphertext === 'string' &&
    typeof r.nonce === 'string' &&
    (r.associated_data === undefined || r.associated_data === null || typeof r.associated_data === 'string')
  )
}

/**
 * Decrypts a notification `resource` with the 32-byte APIv3 key: AES-256-GCM, `ciphertext`
 * base64 of ciphertext‖16-byte tag, `nonce` and `associated_data` used as their UTF-8 bytes.
 * Returns the plaintext (JSON text). A malformed resource is VALIDATION_ERROR; one that fails
 * authentication (tampered, wrong key, wrong associated data) is INVALID_SIGNATURE.
 */
export async function decryptWechatResource(apiV3Key: string, resource: unknown): Promise<string> {
  const keyBytes = utf8(apiV3Key)
  if (keyBytes.length !== 32) throw configurationError('WECHAT_PAY_API_V3_KEY must be exactly 32 bytes')
  if (!isEncryptedResource(resource)) throw badRequest('Notification resource must have algorithm, ciphertext and nonce strings')
  if (resource.algorithm !== 'AEAD_AES_256_GCM') throw badRequest(`Unsupported resource algorithm "${resource.algorithm.slice(0, 40)}"`)
  const sealed = decodeBase64(resource.ciphertext)
  if (!sealed || sealed.length < 16) throw badRequest('Notification resource ciphertext is not base64 of ciphertext and a 16-byte tag')
  if (resource.nonce.length === 0) throw badRequest('Notification resource nonce is empty')
  const key = await crypto.subtle.importKey('raw', keyBytes, 'AES-GCM', false, ['decrypt'])
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: utf8(resource.nonce), additionalData: utf8(resource.associated_data ?? ''), tagLength: 128 },
      key,
      sealed,
    )
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(plain)
  } catch {
    throw invalidSignature('Notification resource failed AES-GCM authentication (tampered, or another key)')
  }
}
