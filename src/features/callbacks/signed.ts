import type { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { Task } from '../../db/schema'
import type { AppEnv } from '../../env'
import { badRequest, invalidSignature, notConfigured, notReady, upstreamError } from '../../lib/errors'
import { verifyWebhook } from '../../lib/webhooks'
import { config } from '../../lib/config'
import { RetryableProviderError } from '../tasks/providers/types'
import { claimDelivery, releaseDelivery } from './deliveries'
import type { CallbackEffect } from './schemas'

export type CallbackProvider = 'webhook' | 'replicate'

/** What a provider's route knows how to do with a verified, valid delivery. */
export interface SignedHandler<T> {
  schema: z.ZodType<T>
  /** Finds the task the delivery is about (read-only). */
  resolve(body: T): Promise<Task | undefined>
  /**
   * A delivery for a task not found yet: `true` answers 503 so the sender retries (Replicate's
   * `completed` can beat our saving of the prediction id); `false` acknowledges it without effect.
   */
  retryWhenMissing: boolean
  apply(body: T, task: Task): Promise<CallbackEffect>
}

const ack = (duplicate: boolean, effect: CallbackEffect) => ({ success: true as const, data: { received: true as const, duplicate, effect } })

/**
 * One signed delivery, in this order:
 * 1. the Standard Webhooks signature over the RAW body bytes (401 INVALID_SIGNATURE, nothing read);
 * 2. the body: UTF-8, JSON, then the strict zod schema (400 VALIDATION_ERROR, nothing recorded);
 * 3. the task; an unknown task is never recorded as delivered (see `retryWhenMissing`);
 * 4. the `webhook-id` is CLAIMED (`INSERT … ON CONFLICT DO NOTHING`): only the delivery that inserts
 *    it goes on, so concurrent or repeated deliveries act once (`duplicate: true`);
 * 5. `apply`; if it throws (a bad result 4xx, an unreachable result host 502, a failure 5xx) the
 *    claim is deleted again, so the sender's retry is processed rather than swallowed as a duplicate.
 */
export async function handleSigned<T>(c: Context<AppEnv>, provider: CallbackProvider, handler: SignedHandler<T>) {
  const settings = config(c.env)
  const secret = provider === 'replicate' ? settings.REPLICATE_WEBHOOK_SECRET : settings.WEBHOOK_SECRET
  if (!secret) throw notConfigured(`${provider} callbacks are not configured on this server`)
  // Unsigned or stale deliveries are refused before their body is read (it may be large).
  const headers = c.req.raw.headers
  const timestamp = Number(headers.get('webhook-timestamp'))
  if (!headers.get('webhook-id') || !headers.get('webhook-signature') || !Number.isFinite(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) {
    throw invalidSignature('Missing or stale webhook-id, webhook-timestamp or webhook-signature header')
  }
  const raw = new Uint8Array(await c.req.arrayBuffer())
  const verdict = await verifyWebhook(secret, c.req.raw.headers, raw)
  if (!verdict.ok) throw invalidSignature(verdict.reason)

  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(raw))
  } catch {
    throw badRequest('Body is not valid UTF-8 JSON')
  }
  const parsed = handler.schema.safeParse(json)
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }))
    throw badRequest(`Invalid callback body: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`.slice(0, 500), details)
  }

  const task = await handler.resolve(parsed.data)
  if (!task) {
    if (handler.retryWhenMissing) {
      throw notReady('The task for this delivery is not known yet; retry later', 5)
    }
    return c.json(ack(false, 'ignored'), 200)
  }

  if (!(await claimDelivery(c.env, verdict.id, provider, task.id))) return c.json(ack(true, 'ignored'), 200)
  let effect: CallbackEffect
  try {
    effect = await handler.apply(parsed.data, task)
  } catch (error) {
    await releaseDelivery(c.env, verdict.id, provider)
    // A result host that failed or timed out: a clean 502 so the sender retries later.
    if (error instanceof RetryableProviderError) throw upstreamError(`Could not fetch the results: ${error.message}`.slice(0, 300))
    throw error
  }
  return c.json(ack(false, effect), 200)
}
