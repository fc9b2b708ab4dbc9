import type { Task } from '../../db/schema'
import type { Db } from '../../env'
import { inChunks } from '../../lib/d1-chunks'
import { iso } from '../../lib/openapi'
import { toImageDto } from '../images/service'

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
    errorCode: task.status === 'failed' ? (task.errorCode ?? 'GENERATION_FAILED') : null,
    cost: task.cost,
    provider: task.provider,
    estimatedTime: task.estimatedSeconds,
    createdAt: task.createdAt.toISOString(),
    startedAt: iso(task.startedAt),
    finishedAt: iso(task.finishedAt),
  }
}
