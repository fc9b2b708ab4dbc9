/**
 * Webhook deliveries already processed, by `webhook-id` (the `webhook_events` table, owned
 * here): a delivery is claimed before it acts, released if acting failed, pruned after retention.
 */

/** Claims a delivery id; false when another delivery with this id already claimed it. */
export async function claimDelivery(env: Env, deliveryId: string, provider: string, taskId: string): Promise<boolean> {
  const claim = await env.DB.prepare('INSERT INTO webhook_events (id, provider, task_id, received_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING')
    .bind(deliveryId, provider, taskId, Date.now())
    .run()
  return claim.meta.changes > 0
}

/** Forgets a claim whose processing failed, so the sender's retry is processed rather than swallowed. */
export async function releaseDelivery(env: Env, deliveryId: string, provider: string): Promise<void> {
  await env.DB.prepare('DELETE FROM webhook_events WHERE id = ?1 AND provider = ?2').bind(deliveryId, provider).run()
}

/**
 * How long processed `webhook-id`s are kept for deduplication: longer than any sender retries
 * (Standard Webhooks senders retry for up to about 3 days; Replicate for minutes).
 */
export const WEBHOOK_EVENT_RETENTION_MS = 7 * 86_400_000

/** Forgets delivery ids older than the retention, at most 5,000 per run (index on received_at). */
export async function pruneWebhookEvents(env: Env, now = Date.now()): Promise<number> {
  const res = await env.DB.prepare('DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events WHERE received_at < ?1 LIMIT 5000)')
    .bind(now - WEBHOOK_EVENT_RETENTION_MS)
    .run()
  return res.meta.changes
}
