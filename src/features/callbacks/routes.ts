import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../../env'
import type { Task } from '../../db/schema'
import { createRouter, errors, ok } from '../../lib/openapi'
import { applyReport } from './service'
import { handleSigned } from './signed'

const tags = ['Callbacks']

/** Callback bodies are strict: unknown fields, unknown statuses and wrong types are 400 VALIDATION_ERROR. */
const Url = z.string().max(2048)
const ResultItemSchema = z.union([
  z.string(),
  z.strictObject({ url: Url.optional(), base64: z.string().optional(), data: z.string().optional() }),
])
const Results = z.array(ResultItemSchema).max(4)

const WebhookReport = z
  .strictObject({
    taskId: z.string().max(64),
    status: z.enum(['running', 'progress', 'succeeded', 'completed', 'failed']),
    progress: z.number().min(0).max(100).optional(),
    images: Results.optional(),
    error: z.string().max(2000).optional(),
  })
  .openapi('WebhookCallback')

const TaskComplete = z
  .strictObject({
    taskId: z.string().max(64),
    images: Results.optional(),
    imageUrls: z.array(Url).max(4).optional(),
    results: Results.optional(),
  })
  .openapi('TaskCompleteCallback')

const TaskFailed = z.strictObject({ taskId: z.string().max(64), error: z.string().max(2000).optional() }).openapi('TaskFailedCallback')

/**
 * A Replicate prediction. Replicate adds fields over time (version, input, urls, metrics…), so
 * unknown fields are tolerated and dropped; the fields we read are typed strictly.
 */
const ReplicatePrediction = z.object({
  id: z.string().max(128),
  status: z.enum(['starting', 'processing', 'succeeded', 'failed', 'canceled']),
  output: z.union([z.array(Url).max(16), Url, z.null()]).optional(),
  error: z.string().nullable().optional(),
  logs: z.string().nullable().optional(),
  webhook: Url.nullable().optional(),
})

const Ack = z.object({ received: z.literal(true), duplicate: z.boolean(), effect: z.enum(['progress', 'completed', 'failed', 'ignored']) })

const SIGNED =
  'Signed with Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature` (HMAC-SHA256 of `id.timestamp.` followed by the ' +
  'exact body bytes, with the `whsec_` secret, 5 minute tolerance). Bad or stale signatures: 401 INVALID_SIGNATURE, nothing changes. ' +
  'Bodies are validated strictly (unknown fields or statuses, wrong types: 400 VALIDATION_ERROR, nothing changes). A repeated ' +
  '`webhook-id` is acknowledged with `duplicate: true` and changes nothing; a delivery that fails (4xx/5xx) is not recorded, so its retry ' +
  'is processed. Reports on finished tasks are acknowledged without effect. Result images: at most the task\'s `batchSize`, each at most ' +
  'MAX_IMAGE_BYTES, as URLs on the provider\'s host allowlist (redirects refused) or inline base64; callback bodies may be up to ' +
  '16 MB (413 beyond; about 12 MB of inline base64 results, send larger results as URLs). Deliveries without the three ' +
  'Standard Webhooks headers, or with a timestamp more than 5 minutes off, are refused (401) before their body is read.'

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
  description:
    '`webhook` (n8n flows; body WebhookCallback, secret WEBHOOK_SECRET; unknown task ids are acknowledged without effect) or `replicate` ' +
    '(a prediction; secret REPLICATE_WEBHOOK_SECRET; found by prediction id, or by the `taskId` of the webhook URL we registered; a ' +
    'prediction whose task is not known yet answers 503 NOT_READY so Replicate retries). ' + SIGNED,
  request: { params: z.object({ provider: z.enum(['webhook', 'replicate']) }), query: z.object({ taskId: z.string().max(64).optional() }), body: signedBody(WebhookReport) },
  responses: { 200: ok(Ack, 'Acknowledged'), ...errors(400, 401, 404, 413, 422, 503) },
})
const taskComplete = createRoute({
  method: 'post', path: '/callback/task-complete', tags, summary: 'n8n: task complete',
  description: `Result images as URLs or base64 in \`images\`, \`imageUrls\` or \`results\`. ${SIGNED}`,
  request: { body: signedBody(TaskComplete) },
  responses: { 200: ok(Ack, 'Acknowledged'), ...errors(400, 401, 413, 422, 503) },
})
const taskFailed = createRoute({
  method: 'post', path: '/callback/task-failed', tags, summary: 'n8n: task failed',
  description: `Fails the task and refunds its credits. ${SIGNED}`,
  request: { body: signedBody(TaskFailed) },
  responses: { 200: ok(Ack, 'Acknowledged'), ...errors(400, 401, 503) },
})

const findTask = (c: Context<AppEnv>, id: string, provider: string) =>
  c.var.db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.id, id), eq(t.provider, provider)) })

/** The `taskId` we put in the webhook URL of a prediction (the body's copy is covered by the signature). */
function taskIdFromWebhookUrl(url: string | null | undefined): string | undefined {
  try {
    return url ? (new URL(url).searchParams.get('taskId') ?? undefined) : undefined
  } catch {
    return undefined
  }
}

/**
 * The task of a prediction: by its saved prediction id, else by the `taskId` of the webhook URL
 * (a `completed` can arrive before the consumer saved the id). A task found that way is bound to
 * this prediction only if it has none yet; a task bound to another prediction is not this one's.
 */
async function replicateTask(c: Context<AppEnv>, predictionId: string, hint: string | undefined): Promise<Task | undefined> {
  const db = c.var.db
  const byJob = await db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.provider, 'replicate'), eq(t.providerJobId, predictionId)) })
  if (byJob || !hint) return byJob
  const bound = await c.env.DB.prepare(`UPDATE tasks SET provider_job_id = ?2 WHERE id = ?1 AND provider = 'replicate' AND provider_job_id IS NULL`)
    .bind(hint, predictionId)
    .run()
  if (bound.meta.changes === 0) return undefined
  return findTask(c, hint, 'replicate')
}

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
      return handleSigned(c, 'replicate', {
        schema: ReplicatePrediction,
        retryWhenMissing: true,
        resolve: (p) => replicateTask(c, p.id, taskIdFromWebhookUrl(p.webhook) ?? c.req.valid('query').taskId),
        apply: (p, task) => {
          const outputs = p.output == null ? [] : Array.isArray(p.output) ? p.output : [p.output]
          const report =
            p.status === 'succeeded'
              ? { status: 'succeeded' as const, results: outputs.slice(0, task.batchSize) }
              : p.status === 'failed' || p.status === 'canceled'
                ? { status: 'failed' as const, error: p.error || `Prediction ${p.status}` }
                : { status: 'running' as const, progress: p.status === 'starting' ? 1 : progressFromLogs(p.logs) }
          return applyReport(c.env, c.var.db, 'replicate', task, report)
        },
      })
    }
    return handleSigned(c, 'webhook', {
      schema: WebhookReport,
      retryWhenMissing: false,
      resolve: (r) => findTask(c, r.taskId, 'webhook'),
      apply: (r, task) => {
        const status = r.status === 'progress' ? 'running' : r.status === 'completed' ? 'succeeded' : r.status
        return applyReport(c.env, c.var.db, 'webhook', task, { status, progress: r.progress, results: r.images, error: r.error })
      },
    })
  })
  .openapi(taskComplete, async (c) =>
    handleSigned(c, 'webhook', {
      schema: TaskComplete,
      retryWhenMissing: false,
      resolve: (r) => findTask(c, r.taskId, 'webhook'),
      apply: (r, task) => applyReport(c.env, c.var.db, 'webhook', task, { status: 'succeeded', results: r.images ?? r.results ?? r.imageUrls ?? [] }),
    }),
  )
  .openapi(taskFailed, async (c) =>
    handleSigned(c, 'webhook', {
      schema: TaskFailed,
      retryWhenMissing: false,
      resolve: (r) => findTask(c, r.taskId, 'webhook'),
      apply: (r, task) => applyReport(c.env, c.var.db, 'webhook', task, { status: 'failed', error: r.error }),
    }),
  )
