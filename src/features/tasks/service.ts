import { and, desc, eq } from 'drizzle-orm'
import { type Scene, tasks, type TaskStatus } from '../../db/schema'
import type { AuthUser, Db } from '../../env'
import { config } from '../../lib/config'
import { inChunks } from '../../lib/d1-chunks'
import { badRequest, conflict, insufficientCredits, notFound, serviceUnavailable } from '../../lib/errors'
import { newId, sha256Hex } from '../../lib/ids'
import { errorText, log } from '../../lib/logger'
import { pageRows } from '../../lib/pager'
import { balanceOf, debitForTaskStatements, publishBalance } from '../credits/service'
import { holdTaskInputStatement } from '../images/references'
import { GenerationParams } from '../scenes/schemas'
import { findActiveScene, renderScenePrompt } from '../scenes/service'
import { resultImages, toTaskDto } from './dto'
import { getSetting } from '../settings/service'
import { enqueueGeneration } from './messages'
import { DEFAULTS, estimateSeconds, taskCost } from './pricing'
import { assertKnownModel, GENERATION_WINDOW_MS, hourlyGenerationLimit, hourlyLimitError, underHourlyLimitSql } from './limits'
import { cancelAtProvider } from './providers'
import type { CreateTaskInput } from './schemas'
import { endTaskWithRefund, failTask } from './state'

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * Creates a task: validates the model and references, prices it and, in ONE D1 batch, inserts the
 * task only if the balance covers it and the user is under the hourly limit, debits the balance
 * and writes the ledger row. Then enqueues it. Over the limit: 429, nothing written or queued.
 * With an `Idempotency-Key`, a repeat of the same request answers the first task unchanged.
 */
export async function createTask(env: Env, db: Db, user: AuthUser, body: CreateTaskInput, idempotencyKey: string | null) {
  const requestHash = idempotencyKey ? await sha256Hex(stableJson(body)) : null
  if (idempotencyKey) {
    const existing = await db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.userId, user.id), eq(t.idempotencyKey, idempotencyKey)) })
    if (existing) {
      if (existing.requestHash !== requestHash) throw conflict('Idempotency-Key was already used for a different request')
      return { task: existing, replayed: true }
    }
  }
  // Only a model the caller names is checked; an omitted one takes the scene's or the default.
  if (body.model !== undefined) await assertKnownModel(env, body.model)
  const hourlyLimit = await hourlyGenerationLimit(env, user)

  let scene: Scene | undefined
  if (body.sceneId) {
    scene = await findActiveScene(db, body.sceneId)
    if (!scene) throw notFound('Scene')
  }
  const prompt = scene ? renderScenePrompt(scene, body.prompt, body.variables) : body.prompt
  if (!prompt) throw badRequest('Validation failed: prompt: Required unless the scene supplies one', [{ field: 'prompt', message: 'Required' }])
  const defaults = { ...DEFAULTS, ...GenerationParams.partial().catch({}).parse(scene?.defaultParams ?? {}) }
  const params = {
    model: body.model ?? defaults.model,
    size: body.size ?? defaults.size,
    batchSize: body.batchSize ?? defaults.batchSize,
    cfgScale: body.cfgScale ?? defaults.cfgScale,
    steps: body.steps ?? defaults.steps,
    seed: (body.seed ?? defaults.seed) === -1 ? crypto.getRandomValues(new Uint32Array(1))[0]! : (body.seed ?? defaults.seed),
    sampler: body.sampler ?? defaults.sampler,
    clipSkip: body.clipSkip ?? defaults.clipSkip,
  }

  const inputIds = [...new Set(body.inputImageIds ?? [])]
  if (inputIds.length > 0) {
    const mine = await inChunks(db, inputIds, (chunk) =>
      db.query.images.findMany({
        where: (i, { and, eq, inArray, isNull }) => and(inArray(i.id, chunk), eq(i.ownerId, user.id), isNull(i.deletedAt)),
        columns: { id: true },
      }),
    )
    const missing = inputIds.filter((id) => !mine.some((m) => m.id === id))
    if (missing.length > 0) {
      throw notFound(`Input image ${missing.join(', ')}`, { missing })
    }
  }

  const [width, height] = params.size.split('x').map(Number) as [number, number]
  const cost = taskCost(scene?.cost ?? (await getSetting(env, 'generationCostUnit')), params.size, params.batchSize, params.steps)
  const now = Date.now()
  const taskId = newId('tsk')
  const provider = config(env).GENERATION_PROVIDER
  const negativePrompt = body.negativePrompt ?? scene?.negativePrompt ?? null
  const statements = [
    // The task row exists only if the balance covers the cost; the charge is guarded by its existence.
    env.DB.prepare(
      `INSERT INTO tasks (id, user_id, status, progress, prompt, negative_prompt, model, width, height, batch_size,
         cfg_scale, steps, seed, sampler, clip_skip, scene_id, input_image_ids, cost, provider, attempts,
         idempotency_key, request_hash, estimated_seconds, created_at, updated_at)
       SELECT ?1, ?2, 'queued', 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 0, ?18, ?19, ?20, ?21, ?21
        WHERE (SELECT credits FROM users WHERE id = ?2) >= ?16 AND ${underHourlyLimitSql(22, 23)}`,
    ).bind(
      taskId, user.id, prompt, negativePrompt, params.model, width, height, params.batchSize, params.cfgScale, params.steps,
      params.seed, params.sampler, params.clipSkip, scene?.id ?? null, JSON.stringify(inputIds), cost, provider,
      idempotencyKey, requestHash, estimateSeconds(params.size, params.batchSize, params.steps), now,
      hourlyLimit, now - GENERATION_WINDOW_MS,
    ),
    ...debitForTaskStatements(env, { userId: user.id, taskId, cost, now }),
    // The task holds a reference on its input images while it exists.
    // (released in the batch that ends it: see batchReleasingTaskInputs).
    ...inputIds.map((id) => holdTaskInputStatement(env, id, taskId)),
  ]
  let inserted: boolean
  try {
    const [result] = await env.DB.batch(statements)
    inserted = (result?.meta.changes ?? 0) === 1
  } catch (error) {
    // A concurrent request with the same Idempotency-Key won the unique index: replay it.
    if (idempotencyKey && /UNIQUE/i.test(String(error))) return createTask(env, db, user, body, idempotencyKey)
    throw error
  }
  if (!inserted) {
    // A concurrent request with the same key may have created it meanwhile: that is a replay.
    if (idempotencyKey) {
      const existing = await db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.userId, user.id), eq(t.idempotencyKey, idempotencyKey)) })
      if (existing) return createTask(env, db, user, body, idempotencyKey)
    }
    // A short balance is reported first: waiting (Retry-After) would not help it.
    const balance = await balanceOf(env, user.id)
    if (balance < cost) throw insufficientCredits(cost, balance, 'This task')
    const limited = await hourlyLimitError(env, user.id, hourlyLimit, now)
    throw limited ?? insufficientCredits(cost, balance, 'This task')
  }

  try {
    await enqueueGeneration(env, taskId)
  } catch (error) {
    await endTaskWithRefund(env, taskId, 'failed', 'Could not queue the task')
    log.error('enqueue failed', { taskId, error: errorText(error) })
    throw serviceUnavailable('The generation queue is unavailable; you were not charged')
  }
  const task = await db.query.tasks.findFirst({ where: (t, { eq }) => eq(t.id, taskId) })
  await publishBalance(env, user.id)
  return { task: task!, replayed: false }
}

/** The caller's tasks, newest first, optionally of one status, as DTOs. */
export async function listTasks(env: Env, db: Db, userId: string, query: { page: number; limit: number; status?: TaskStatus }) {
  const where = and(eq(tasks.userId, userId), query.status ? eq(tasks.status, query.status) : undefined)
  const { rows, total } = await pageRows(db, tasks, where, [desc(tasks.createdAt), desc(tasks.id)], query)
  const images = await resultImages(env, db, rows)
  return { items: rows.map((t) => toTaskDto(t, images)), total }
}

const findOwnTask = (db: Db, userId: string, id: string) =>
  db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.id, id), eq(t.userId, userId)) })

/** One of the caller's tasks with its result images (404 for anyone else's). */
export async function getTask(env: Env, db: Db, userId: string, id: string) {
  const task = await findOwnTask(db, userId, id)
  if (!task) throw notFound('Task')
  return toTaskDto(task, await resultImages(env, db, [task]))
}

/**
 * Cancels one of the caller's queued or running tasks with a refund (409 once it has finished).
 * Stopping the job at the provider is best effort and never holds the refund: it is handed to
 * `waitUntil` to run after the response.
 */
export async function cancelTask(env: Env, db: Db, userId: string, id: string, waitUntil: (work: Promise<unknown>) => void) {
  const task = await findOwnTask(db, userId, id)
  if (!task) throw notFound('Task')
  if (task.status !== 'queued' && task.status !== 'running') {
    throw conflict(`Task already ${task.status}`, { status: task.status })
  }
  const { ended } = await failTask(env, task, 'Canceled by the user', 'canceled')
  if (ended) waitUntil(cancelAtProvider(env, task))
  const after = await findOwnTask(db, userId, id)
  if (!ended) throw conflict(`Task already ${after?.status ?? 'finished'}`, { status: after?.status })
  return toTaskDto(after!, new Map())
}

/** Fails and refunds tasks queued or running since before `cutoff` (at most 100), then stops their jobs. */
export async function failStuckTasks(env: Env, cutoff: number): Promise<number> {
  const { results } = await env.DB.prepare(
    `SELECT id, user_id AS userId, provider, provider_job_id AS providerJobId FROM tasks
      WHERE status IN ('queued', 'running') AND COALESCE(started_at, created_at) < ?1 LIMIT 100`,
  )
    .bind(cutoff)
    .all<{ id: string; userId: string; provider: string; providerJobId: string | null }>()
  for (const task of results) {
    const { ended } = await failTask(env, task, 'Timed out: the generation service did not finish in time')
    if (ended) await cancelAtProvider(env, task)
  }
  return results.length
}
