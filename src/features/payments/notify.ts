import { ApiError, codeToStatus, payloadTooLarge } from '../../lib/errors'
import { errorText, log } from '../../lib/logger'
import { type ProviderName, verifyStripe, verifyWechat } from './gateway'
import type { IncomingNotification, PaymentVerdict } from './providers/types'
import { type SettleResult, settleOrder } from './settle'

/** Provider notifications are small (a WeChat notification is about 1 KB): 64 KB is plenty. */
export const NOTIFY_BODY_LIMIT = 64 * 1024

/** The raw body bytes, at most `cap` (413 PAYLOAD_TOO_LARGE beyond, declared or streamed). */
export async function readCapped(req: Request, cap = NOTIFY_BODY_LIMIT): Promise<Uint8Array> {
  const declared = req.headers.get('content-length')
  if (declared !== null && Number(declared) > cap) throw payloadTooLarge(`Notification body is larger than ${cap / 1024} KB`)
  if (!req.body) return new Uint8Array()
  const reader = req.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > cap) {
      await reader.cancel()
      throw payloadTooLarge(`Notification body is larger than ${cap / 1024} KB`)
    }
    chunks.push(value)
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.byteLength
  }
  return out
}

export type NotifyOutcome = { handled: true; result: SettleResult | 'ignored' } | { handled: false; status: number; message: string; error: unknown }

/**
 * Reads, verifies and settles one notification. `handled` means the provider may stop retrying
 * (credited, already paid, mismatch recorded, unknown order, event ignored); anything else is
 * answered with an error status so the provider delivers it again.
 */
export async function handleNotification(env: Env, provider: Exclude<ProviderName, 'dev'>, req: Request): Promise<NotifyOutcome> {
  try {
    const notification: IncomingNotification = { headers: req.headers, body: await readCapped(req), now: Date.now() }
    const verdict: PaymentVerdict = provider === 'wechat' ? await verifyWechat(env, notification) : await verifyStripe(env, notification)
    if (verdict.kind === 'ignored') {
      log.info('payment notification ignored', { provider, reason: verdict.reason })
      return { handled: true, result: 'ignored' }
    }
    const result = await settleOrder(env, { ...verdict, provider })
    return { handled: true, result }
  } catch (error) {
    if (error instanceof ApiError) {
      log.warn('payment notification refused', { provider, code: error.code, error: error.message })
      return { handled: false, status: codeToStatus[error.code], message: error.message, error }
    }
    log.error('payment notification failed', { provider, error: errorText(error) })
    return { handled: false, status: 500, message: 'Internal error: please retry', error }
  }
}
