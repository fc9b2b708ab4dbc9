import { createRoute, z } from '@hono/zod-openapi'
import { requireAuth } from '../../lib/auth'
import { bearerAuth, errors, jsonBody, ok, PaginationQuery, paginationSchema } from '../../lib/openapi'
import { CreateTaskBody, CreateTaskQuery, IdempotencyHeaders, QueueStatsSchema, TaskIdParam, TaskListQuery, TaskSchema } from './schemas'

const tags = ['Tasks']
const auth = { security: bearerAuth, middleware: [requireAuth] }

export const createTaskRoute = createRoute({
  method: 'post', path: '/', tags, ...auth, operationId: 'createTask', summary: 'Generate images',
  description:
    'Validates every field against the ranges of the contract, resolves the scene, prices the task and in one D1 batch ' +
    'debits credits, writes the ledger entry and the task (402 INSUFFICIENT_CREDITS and nothing written when the balance ' +
    'is short), then queues it. Cost = ceil(unit × batchSize × pixels / 512² × max(1, steps / 30)) where unit is the ' +
    "scene's cost or the `generationCostUnit` setting (default 2). With `Idempotency-Key` (≤ 100 chars) a repeat of the same request answers the first task " +
    '(`Idempotent-Replayed: true`) without charging again (and without counting as a new generation); the same key with ' +
    'a different body is 409.\n\n' +
    '**Model:** `model` must be one of the `value`s `GET /api/models` answers (400 INVALID_MODEL listing them in ' +
    '`details.allowed`); omitted, the scene\'s or the default model is used.\n\n' +
    '**Hourly limit:** a user may create at most `generationsPerHour` tasks (runtime setting, default 10; 0 = no limit; ' +
    'admins have none) in any rolling hour, every task created counting whatever its outcome. Over it: 429 RATE_LIMITED ' +
    'with `Retry-After` (seconds until the oldest task in the window leaves it), nothing charged, nothing queued. The ' +
    'check is part of the charge batch, so parallel requests cannot overshoot it. A short balance is reported (402) ' +
    'before the limit.\n\n' +
    '**`?wait=<0..30>`:** holds the answer up to that many seconds: 200 with the finished task (succeeded with its ' +
    'images, failed with `errorCode`, or canceled) as `GET /api/tasks/{id}` shows it, or 202 with the task as it is ' +
    'when the wait runs out (or the client disconnects). Without `wait`, 202 at once. A user may start at most 20 ' +
    'waits a minute; beyond that `wait` is ignored and the request is answered at once as with `wait=0` (202, or 200 ' +
    'when the task already ended) — never 429, since the task was created.',
  request: { headers: IdempotencyHeaders, query: CreateTaskQuery, body: jsonBody(CreateTaskBody) },
  responses: {
    200: ok(z.object({ task: TaskSchema }), 'Finished within `wait` seconds'),
    202: ok(z.object({ task: TaskSchema }), 'Queued (or still running when `wait` ran out)'),
    ...errors(400, 401, 402, 404, 409, 429),
  },
})

export const listTasksRoute = createRoute({
  method: 'get', path: '/', tags, ...auth, operationId: 'listTasks', summary: 'My tasks (generation history)',
  request: { query: PaginationQuery.extend(TaskListQuery.shape) },
  responses: { 200: ok(paginationSchema(TaskSchema), 'Newest first'), ...errors(400, 401) },
})

export const getTaskRoute = createRoute({
  method: 'get', path: '/{id}', tags, ...auth, operationId: 'getTask', summary: 'One task', request: { params: TaskIdParam },
  responses: { 200: ok(z.object({ task: TaskSchema }), 'Task'), ...errors(401, 404) },
})

export const cancelTaskRoute = createRoute({
  method: 'post', path: '/{id}/cancel', tags, ...auth, operationId: 'cancelTask', summary: 'Cancel a task',
  description: 'Ends the task and refunds exactly once; a job already submitted is then stopped at the provider, best effort (Replicate: cancel the prediction; ComfyUI: delete our prompt from its queue, or interrupt it only while it is the one running). A finished task is 409.',
  request: { params: TaskIdParam },
  responses: { 200: ok(z.object({ task: TaskSchema }), 'Canceled and refunded'), ...errors(401, 404, 409) },
})

export const getQueueStatsRoute = createRoute({
  method: 'get', path: '/stats/queue', tags, ...auth, operationId: 'getQueueStats', summary: 'Queue statistics',
  description:
    '`queue`: every task on the server by status; `mine`: yours; average duration of tasks that succeeded in the last 24 hours. ' +
    'Cached per server instance for 5 seconds (the server-wide part once, `mine` per user), so counts may lag by that much.',
  responses: { 200: ok(QueueStatsSchema, 'Counts'), ...errors(401) },
})
