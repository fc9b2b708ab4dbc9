import { createRoute, z } from '@hono/zod-openapi'
import { and, count, desc, eq, gte, sql } from 'drizzle-orm'
import { tasks, TASK_STATUSES } from '../../db/schema'
import { cancelAtProvider, failTask } from '../../jobs/generation'
import { requireAuth } from '../../lib/auth'
import { conflict, notFound } from '../../lib/errors'
import { IsolateCache } from '../../lib/isolate-cache'
import { bearerAuth, createRouter, errors, jsonBody, ok, PaginationQuery, paginate, paginationSchema } from '../../lib/openapi'
import { CreateTaskBody, TaskSchema } from './schemas'
import { createTask, resultImages, toTaskDto } from './service'
import { pageRows } from '../../lib/pager'

const tags = ['Tasks']
const auth = { security: bearerAuth, middleware: [requireAuth] }
const Id = z.object({ id: z.string().max(64) })

const create = createRoute({
  method: 'post', path: '/', tags, ...auth, summary: 'Generate images',
  description:
    'Validates every field against the ranges of the contract, resolves the scene, prices the task and in one D1 batch ' +
    'debits credits, writes the ledger entry and the task (402 INSUFFICIENT_CREDITS and nothing written when the balance ' +
    'is short), then queues it. Cost = ceil(unit × batchSize × pixels / 512² × max(1, steps / 30)) where unit is the ' +
    "scene's cost or 2. With `Idempotency-Key` (≤ 100 chars) a repeat of the same request answers the first task " +
    '(`Idempotent-Replayed: true`) without charging again; the same key with a different body is 409.',
  request: {
    headers: z.object({ 'idempotency-key': z.string().min(1).max(100).optional() }),
    body: jsonBody(CreateTaskBody),
  },
  responses: { 202: ok(z.object({ task: TaskSchema }), 'Queued'), ...errors(400, 401, 402, 404, 409) },
})

const list = createRoute({
  method: 'get', path: '/', tags, ...auth, summary: 'My tasks (generation history)',
  request: { query: PaginationQuery.extend({ status: z.enum(TASK_STATUSES).optional() }) },
  responses: { 200: ok(paginationSchema(TaskSchema), 'Newest first'), ...errors(400, 401) },
})

const detail = createRoute({
  method: 'get', path: '/{id}', tags, ...auth, summary: 'One task', request: { params: Id },
  responses: { 200: ok(z.object({ task: TaskSchema }), 'Task'), ...errors(401, 404) },
})

const cancel = createRoute({
  method: 'post', path: '/{id}/cancel', tags, ...auth, summary: 'Cancel a task',
  description: 'Ends the task and refunds exactly once; a job already submitted is then stopped at the provider, best effort (Replicate: cancel the prediction; ComfyUI: delete our prompt from its queue, or interrupt it only while it is the one running). A finished task is 409.',
  request: { params: Id },
  responses: { 200: ok(z.object({ task: TaskSchema }), 'Canceled and refunded'), ...errors(401, 404, 409) },
})

const CountsSchema = z.object(Object.fromEntries(TASK_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof TASK_STATUSES)[number], z.ZodNumber>)
const stats = createRoute({
  method: 'get', path: '/stats/queue', tags, ...auth, summary: 'Queue statistics',
  description:
    '`queue`: every task on the server by status; `mine`: yours; average duration of tasks that succeeded in the last 24 hours. ' +
    'Cached per server instance for 5 seconds (the server-wide part once, `mine` per user), so counts may lag by that much.',
  responses: {
    200: ok(z.object({ queue: CountsSchema, mine: CountsSchema, averageDurationSeconds: z.number().nullable() }), 'Counts'),
    ...errors(401),
  },
})

type Counts = Record<(typeof TASK_STATUSES)[number], number>

/** Per isolate, 5 s: the server-wide part once, each caller's own counts under their id. */
const queueStatsCache = new IsolateCache<{ queue: Counts; averageDurationSeconds: number | null }>(5_000, 1)
const myStatsCache = new IsolateCache<Counts>(5_000)

function counts(rows: Array<{ status: string; n: number }>) {
  const out = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Counts
  for (const r of rows) if (r.status in out) out[r.status as keyof typeof out] = r.n
  return out
}

export const taskRoutes = createRouter()
  .openapi(create, async (c) => {
    const key = c.req.valid('header')['idempotency-key'] ?? null
    const { task, replayed } = await createTask(c.env, c.var.db, c.var.user, c.req.valid('json'), key)
    if (replayed) c.header('Idempotent-Replayed', 'true')
    const images = await resultImages(c.env, c.var.db, [task])
    return c.json({ success: true as const, data: { task: toTaskDto(task, images) } }, 202)
  })
  .openapi(list, async (c) => {
    const { page, limit, status } = c.req.valid('query')
    const db = c.var.db
    const where = and(eq(tasks.userId, c.var.user.id), status ? eq(tasks.status, status) : undefined)
    const { rows, total } = await pageRows(db, tasks, where, [desc(tasks.createdAt), desc(tasks.id)], { page, limit })
    const images = await resultImages(c.env, db, rows)
    return c.json({ success: true as const, data: paginate(rows.map((t) => toTaskDto(t, images)), total, page, limit) }, 200)
  })
  .openapi(detail, async (c) => {
    const task = await c.var.db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.id, c.req.valid('param').id), eq(t.userId, c.var.user.id)) })
    if (!task) throw notFound('Task')
    return c.json({ success: true as const, data: { task: toTaskDto(task, await resultImages(c.env, c.var.db, [task])) } }, 200)
  })
  .openapi(cancel, async (c) => {
    const db = c.var.db
    const find = () => db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.id, c.req.valid('param').id), eq(t.userId, c.var.user.id)) })
    const task = await find()
    if (!task) throw notFound('Task')
    if (task.status !== 'queued' && task.status !== 'running') {
      throw conflict(`Task already ${task.status}`, { status: task.status })
    }
    // Refund first; stopping the job at the provider is best effort and never holds the refund.
    const { ended } = await failTask(c.env, task, 'Canceled by the user', 'canceled')
    if (ended) c.executionCtx.waitUntil(cancelAtProvider(c.env, task))
    const after = await find()
    if (!ended) throw conflict(`Task already ${after?.status ?? 'finished'}`, { status: after?.status })
    return c.json({ success: true as const, data: { task: toTaskDto(after!, new Map()) }, message: 'Task canceled and refunded' }, 200)
  })
  .openapi(stats, async (c) => {
    const db = c.var.db
    const userId = c.var.user.id
    const [global, mine] = await Promise.all([
      queueStatsCache.get('queue', async () => {
        const since = new Date(Date.now() - 86_400_000)
        const all = await db.select({ status: tasks.status, n: count() }).from(tasks).groupBy(tasks.status)
        // Durations of recent successes, in seconds.
        const [avgRow] = await db
          .select({ avg: sql<number | null>`AVG((${tasks.finishedAt} - ${tasks.startedAt}) / 1000.0)` })
          .from(tasks)
          .where(and(eq(tasks.status, 'succeeded'), gte(tasks.finishedAt, since)))
        const average = avgRow?.avg ?? null
        return { queue: counts(all), averageDurationSeconds: average === null ? null : Math.round(average * 10) / 10 }
      }),
      myStatsCache.get(userId, async () =>
        counts(await db.select({ status: tasks.status, n: count() }).from(tasks).where(eq(tasks.userId, userId)).groupBy(tasks.status)),
      ),
    ])
    return c.json({ success: true as const, data: { queue: global.queue, mine, averageDurationSeconds: global.averageDurationSeconds } }, 200)
  })
