import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import { ApiError, badRequest } from '../../lib/errors'
import { createRouter, errors, ok } from '../../lib/openapi'
import { verifyWebhook } from '../../lib/webhooks'
import { applyReport, type CallbackEffect, type ResultItem } from './service'

const tags = ['Callbacks']

const ResultItemSchema = z.union([z.string(), z.object({ url: z.string().optional(), base64: z.string().optional(), data: z.string().optional() })])

const WebhookReport = z
  .object({
    taskId: z.string().max(64),
    status: z.enum(['running', 'progress', 'succeeded', 'completed', 'failed']),
    progress: z.number().min(0).max(100).optional(),
    images: z.array(ResultItemSchema).max(16).optional(),
    error: z.string().max(2000).optional(),
  })
  .openapi('WebhookCallback')

const TaskComplete = z
  .object({
    taskId: z.string().max(64),
    images: z.array(ResultItemSchema).max(16).optional(),
    imageUrls: z.array(z.string()).max(16).optional(),
    results: z.array(ResultItemSchema).max(16).optional(),
  })
  .openapi('TaskCompleteCallback')

const TaskFailed = z.object({ taskId: z.string().max(64), error: z.string().max(2000).optional() }).openapi('TaskFailedCallback')

const ReplicatePrediction = z.object({
  id: z.string(),
  status: z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled']),
  output: z.union([z.array(z.string()), z.string(), z.null()]).optional(),
  error: z.unknown().optional(),
  logs: z.string().nullable().optional(),
})

const Ack = z.object({ received: z.literal(true), duplicate: z.boolean(), effect: z.enum(['progress', 'completed', 'failed', 'ignored']) })

const SIGNED =
  'Signed with Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` (HMAC-SHA256 of `id.timestamp.body` ' +
  'with the `whsec_` secret, 5 minute tolerance). Bad or stale signatures: 401 INVALID_SIGNATURE, nothing changes. A repeated ' +
  '`webhook-id` is acknowledged with `duplicate: true` and changes nothing; reports on unknown or finished tasks are acknowledged without effect.'

/**
 * Documented as JSON Schema rather than zod so no validator reads the body first: the signature
 * covers the exact bytes, and unsigned garbage must get 401, not 400.
 */
const signedBody = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: z.toJSONSchema(schema, { unrepresentable: 'any' }) as Record<string, unknown> } },
})

const providerCallback = createRoute({
  method: 'post', path: '/callbacks/{provider}', tags, summary: 'Provider webhook',
  description: `\`webhook\` (n8n flows; body WebhookCallback, secret WEBHOOK_SECRET) or \`replicate\` (a prediction; secret REPLICATE_WEBHOOK_SECRET). ${SIGNED}`,
  request: { params: z.object({ provider: z.enum(['webhook', 'replicate']) }), body: signedBody(WebhookReport) },
  responses: { 200: ok(Ack, 'Acknowledged'), ...errors(400, 401, 404, 503) },
})
const taskComplete = createRoute({
  method: 'post', path: '/callback/task-complete', tags, summary: 'n8n: task complete',
  description: `Result images as URLs or base64 in \`images\`, \`imageUrls\` or \`results\`. ${SIGNED}`,
  request: { body: signedBody(TaskComplete) },
  responses: { 200: ok(Ack, 'Acknowledged'), ...errors(400, 401, 503) },
})
const taskFailed = createRoute({
  method: 'post', path: '/callback/task-failed', tags, summary: 'n8n: task failed',
  description: `Fails the task and refunds its credits. ${SIGNED}`,
  request: { body: signedBody(TaskFailed) },
  responses: { 200: ok(Ack, 'Acknowledged'), ...errors(400, 401, 503) },
})

/**
 * Verifies the signature, skips repeated deliveries, parses the body, runs `apply`, then records
 * the delivery id. A failure inside `apply` answers 5xx without recording, so the sender retries.
 */
async function handleSigned<T>(
  c: Context<AppEnv>,
  provider: 'webhook' | 'replicate',
  schema: z.ZodType<T>,
  apply: (body: T) => Promise<{ effect: CallbackEffect; taskId: string | null }>,
) {
  const secret = provider === 'replicate' ? c.env.REPLICATE_WEBHOOK_SECRET : c.env.WEBHOOK_SECRET
  if (!secret) throw new ApiError(503, 'NOT_CONFIGURED', `${provider} callbacks are not configured on this server`)
  const raw = await c.req.text()
  const verdict = await verifyWebhook(secret, c.req.raw.headers, raw)
  if (!verdict.ok) throw new ApiError(401, 'INVALID_SIGNATURE', verdict.reason)
  const seen = await c.env.DB.prepare('SELECT 1 FROM webhook_events WHERE id = ?1').bind(verdict.id).first()
  if (seen) return c.json({ success: true as const, data: { received: true as const, duplicate: true, effect: 'ignored' as const } }, 200)
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    throw badRequest('Body is not valid JSON')
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) throw badRequest(`Invalid callback body: ${parsed.error.issues[0]?.message ?? 'invalid'}`, parsed.error.issues)
  const { effect, taskId } = await apply(parsed.data)
  await c.env.DB.prepare('INSERT INTO webhook_events (id, provider, task_id, received_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING')
    .bind(verdict.id, provider, taskId, Date.now())
    .run()
  return c.json({ success: true as const, data: { received: true as const, duplicate: false, effect } }, 200)
}

const findTask = (c: Context<AppEnv>, id: string, provider: string) =>
  c.var.db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.id, id), eq(t.provider, provider)) })

/** Replicate's logs carry tqdm bars ("45%|..."): the last percentage is the progress. */
function progressFromLogs(logs: string | null | undefined): number | undefined {
  const matches = [...(logs ?? '').matchAll(/(\d{1,3})%\|/g)]
  const last = matches.at(-1)?.[1]
  return last === undefined ? undefined : Math.min(99, Number(last))
}

export const callbackRoutes = createRouter()
  .openapi(providerCallback, async (c) => {
    const { provider } = c.req.valid('param')
    if (provider === 'replicate') {
      return handleSigned(c, 'replicate', ReplicatePrediction, async (p) => {
        const task = await c.var.db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.provider, 'replicate'), eq(t.providerJobId, p.id)) })
        const outputs = p.output == null ? [] : Array.isArray(p.output) ? p.output : [p.output]
        const report =
          p.status === 'succeeded'
            ? { status: 'succeeded' as const, results: outputs }
            : p.status === 'failed' || p.status === 'canceled'
              ? { status: 'failed' as const, error: typeof p.error === 'string' ? p.error : `Prediction ${p.status}` }
              : { status: 'running' as const, progress: p.status === 'starting' ? 1 : progressFromLogs(p.logs) }
        return { effect: await applyReport(c.env, c.var.db, task, report), taskId: task?.id ?? null }
      })
    }
    return handleSigned(c, 'webhook', WebhookReport, async (r) => {
      const task = await findTask(c, r.taskId, 'webhook')
      const status = r.status === 'progress' ? 'running' : r.status === 'completed' ? 'succeeded' : r.status
      const effect = await applyReport(c.env, c.var.db, task, { status, progress: r.progress, results: r.images as ResultItem[] | undefined, error: r.error })
      return { effect, taskId: task?.id ?? null }
    })
  })
  .openapi(taskComplete, async (c) =>
    handleSigned(c, 'webhook', TaskComplete, async (r) => {
      const task = await findTask(c, r.taskId, 'webhook')
      const results = (r.images ?? r.results ?? r.imageUrls ?? []) as ResultItem[]
      return { effect: await applyReport(c.env, c.var.db, task, { status: 'succeeded', results }), taskId: task?.id ?? null }
    }),
  )
  .openapi(taskFailed, async (c) =>
    handleSigned(c, 'webhook', TaskFailed, async (r) => {
      const task = await findTask(c, r.taskId, 'webhook')
      return { effect: await applyReport(c.env, c.var.db, task, { status: 'failed', error: r.error }), taskId: task?.id ?? null }
    }),
  )
