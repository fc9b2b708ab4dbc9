import { createRoute, z } from '@hono/zod-openapi'
import { requireAuth } from '../../lib/auth'
import { bearerAuth, errors, jsonBody, ok, PaginationQuery, paginationSchema } from '../../lib/openapi'
import { CreateTaskBody, IdempotencyHeaders, QueueStatsSchema, TaskIdParam, TaskListQuery, TaskSchema } from './schemas'

const tags = ['Tasks']
const auth = { security: bearerAuth, middleware: [requireAuth] }

export const createTaskRoute = createRoute({
  method: 'post', path: '/', tags, ...auth, operationId: 'createTask', summary: 'Generate images',
  description:
    'Validates every field against the ranges of the contract, resolves the scene, prices the task and in one D1 batch ' +
    'debits credits, writes the ledger entry and the task (402 INSUFFICIENT_CREDITS and nothing written when the balance ' +
    'is short), then queues it. Cost = ceil(unit × batchSize × pixels / 512² × max(1, steps / 30)) where unit is the ' +
    "scene's cost or 2. With `Idempotency-Key` (≤ 100 chars) a repeat of the same request answers the first task " +
    '(`Idempotent-Replayed: true`) without charging again; the same key with a different body is 409.',
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateTaskBody) },
  responses: { 202: ok(z.object({ task: TaskSchema }), 'Queued'), ...errors(400, 401, 402, 404, 409) },
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
