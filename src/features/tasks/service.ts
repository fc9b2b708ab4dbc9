import type { Scene, Task } from '../../db/schema'
import type { AuthUser, Db } from '../../env'
import { inChunks } from '../../lib/d1-chunks'
import { ApiError, badRequest, conflict, notFound, serviceUnavailable } from '../../lib/errors'
import { newId, sha256Hex } from '../../lib/ids'
import { iso } from '../../lib/openapi'
import { publishToUser } from '../hub/service'
import { balanceOf, endTaskWithRefund } from '../credits/service'
import { holdTaskInputStatement } from '../images/references'
import { toImageDto } from '../images/service'
import { placeholdersOf } from '../scenes/routes'
import { configuredProvider } from '../../jobs/providers'
import { BASE_IMAGE_COST, type CreateTaskBody, DEFAULTS, estimateSeconds, taskCost, TaskParams } from './schemas'
import type { z } from '@hono/zod-openapi'
import { errorText, log } from '../../lib/logger'

export interface GenerationMessage {
  type: 'generate'
  taskId: string
}

type Body = z.infer<typeof CreateTaskBody>

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** Fills `{prompt}` with the user's prompt and other placeholders with `variables`. */
function renderPrompt(scene: Scene, body: Body): string {
  const missing = placeholdersOf(scene.promptTemplate).filter((name) =>
    name === 'prompt' ? !body.prompt : body.variables?.[name] === undefined,
  )
  if (missing.length > 0) {
    throw badRequest(
      `Scene "${scene.name}" needs ${missing.map((m) => (m === 'prompt' ? '`prompt`' : `variables.${m}`)).join(', ')}`,
      missing.map((m) => ({ field: m === 'prompt' ? 'prompt' : `variables.${m}`, message: 'Required by the scene' })),
    )
  }
  const filled = scene.promptTemplate.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) =>
    name === 'prompt' ? body.prompt! : body.variables![name]!,
  )
  // A template without {prompt} still takes the user's words after it.
  const text = !placeholdersOf(scene.promptTemplate).includes('prompt') && body.prompt ? `${filled}, ${body.prompt}` : filled
  if (text.length > 1000) throw badRequest('The prompt made from the scene is longer than 1000 characters')
  return text
}

/**
 * Creates a task: validates references, prices it and, in ONE D1 batch, inserts the task only
 * if the balance covers it, debits the balance and writes the ledger row. Then enqueues it.
 * With an `Idempotency-Key`, a repeat of the same request answers the first task unchanged.
 */
export async function createTask(env: Env, db: Db, user: AuthUser, body: Body, idempotencyKey: string | null) {
  const requestHash = idempotencyKey ? await sha256Hex(stableJson(body)) : null
  if (idempotencyKey) {
    const existing = await db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.userId, user.id), eq(t.idempotencyKey, idempotencyKey)) })
    if (existing) {
      if (existing.requestHash !== requestHash) throw conflict('Idempotency-Key was already used for a different request')
      return { task: existing, replayed: true }
    }
  }

  let scene: Scene | undefined
  if (body.sceneId) {
    scene = await db.query.scenes.findFirst({ where: (s, { and, eq }) => and(eq(s.id, body.sceneId!), eq(s.active, true)) })
    if (!scene) throw notFound('Scene')
  }
  const prompt = scene ? renderPrompt(scene, body) : body.prompt
  if (!prompt) throw badRequest('Validation failed: prompt: Required unless the scene supplies one', [{ field: 'prompt', message: 'Required' }])
  const defaults = { ...DEFAULTS, ...TaskParams.partial().catch({}).parse(scene?.defaultParams ?? {}) }
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
  const cost = taskCost(scene?.cost ?? BASE_IMAGE_COST, params.size, params.batchSize, params.steps)
  const now = Date.now()
  const taskId = newId('tsk')
  const provider = configuredProvider(env)
  const negativePrompt = body.negativePrompt ?? scene?.negativePrompt ?? null
  const statements = [
    env.DB.prepare(
      `INSERT INTO tasks (id, user_id, status, progress, prompt, negative_prompt, model, width, height, batch_size,
         cfg_scale, steps, seed, sampler, clip_skip, scene_id, input_image_ids, cost, provider, attempts,
         idempotency_key, request_hash, estimated_seconds, created_at, updated_at)
       SELECT ?1, ?2, 'queued', 0, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 0, ?18, ?19, ?20, ?21, ?21
        WHERE (SELECT credits FROM users WHERE id = ?2) >= ?16`,
    ).bind(
      taskId, user.id, prompt, negativePrompt, params.model, width, height, params.batchSize, params.cfgScale, params.steps,
      params.seed, params.sampler, params.clipSkip, scene?.id ?? null, JSON.stringify(inputIds), cost, provider,
      idempotencyKey, requestHash, estimateSeconds(params.size, params.batchSize, params.steps), now,
    ),
    env.DB.prepare('UPDATE users SET credits = credits - ?2, updated_at = ?3 WHERE id = ?1 AND EXISTS (SELECT 1 FROM tasks WHERE id = ?4)').bind(user.id, cost, now, taskId),
    env.DB.prepare(
      `INSERT INTO credit_ledger (id, user_id, amount, reason, task_id, balance_after, created_at)
       SELECT ?1, ?2, ?3, 'task_charge', ?4, (SELECT credits FROM users WHERE id = ?2), ?5 WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ?4)`,
    ).bind(newId('cl'), user.id, -cost, taskId, now),
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
    const balance = await balanceOf(env, user.id)
    throw new ApiError('INSUFFICIENT_CREDITS', `This task costs ${cost} credits; your balance is ${balance}`, { details: { required: cost, balance } })
  }

  try {
    await env.GENERATION_QUEUE.send({ type: 'generate', taskId } satisfies GenerationMessage, { contentType: 'json' })
  } catch (error) {
    await endTaskWithRefund(env, taskId, 'failed', 'Could not queue the task')
    log.error('enqueue failed', { taskId, error: errorText(error) })
    throw serviceUnavailable('The generation queue is unavailable; you were not charged')
  }
  const task = await db.query.tasks.findFirst({ where: (t, { eq }) => eq(t.id, taskId) })
  await publishToUser(env, user.id, { type: 'credits.changed', data: { balance: await balanceOf(env, user.id) } })
  return { task: task!, replayed: false }
}

/** Result images of tasks, by id, as their owner sees them. */
export async function resultImages(env: Env, db: Db, tasksList: Task[]) {
  const ids = tasksList.flatMap((t) => t.resultImageIds ?? [])
  if (ids.length === 0) return new Map<string, Awaited<ReturnType<typeof toImageDto>>>()
  const rows = await inChunks(db, ids, (chunk) => db.query.images.findMany({ where: (i, { inArray }) => inArray(i.id, chunk) }))
  const dtos = await Promise.all(rows.map((r) => toImageDto(env, r, true)))
  return new Map(dtos.map((d) => [d.id, d]))
}

export function toTaskDto(task: Task, imagesById: Map<string, Record<string, unknown>>) {
  return {
    id: task.id,
    status: task.status,
    progress: task.progress,
    prompt: task.prompt,
    negativePrompt: task.negativePrompt,
    model: task.model,
    size: `${task.width}x${task.height}`,
    batchSize: task.batchSize,
    cfgScale: task.cfgScale,
    steps: task.steps,
    seed: task.seed,
    sampler: task.sampler,
    clipSkip: task.clipSkip,
    sceneId: task.sceneId,
    inputImageIds: task.inputImageIds ?? [],
    images: (task.resultImageIds ?? []).flatMap((id) => (imagesById.has(id) ? [imagesById.get(id)!] : [])),
    error: task.error,
    cost: task.cost,
    provider: task.provider,
    estimatedTime: task.estimatedSeconds,
    createdAt: task.createdAt.toISOString(),
    startedAt: iso(task.startedAt),
    finishedAt: iso(task.finishedAt),
  }
}
