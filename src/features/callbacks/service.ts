import type { Task } from '../../db/schema'
import type { Db } from '../../env'
import { maxImageBytes } from '../../lib/config'
import { badRequest } from '../../lib/errors'
import { fromBase64 } from '../../lib/ids'
import { downloadResult, resultHosts, type ResultSource } from '../tasks/providers/download'
import type { GeneratedImage } from '../tasks/providers/types'
import { errorCodeFromText, type TaskErrorCode } from '../tasks/error-codes'
import { completeTask, failTask, markTaskRunning, reportProgress } from '../tasks/state'
import type { CallbackEffect, ResultItem } from './schemas'

/** A provider's report on a task, whatever its wire format. */
export interface TaskReport {
  status: 'running' | 'succeeded' | 'failed'
  progress?: number
  results?: ResultItem[]
  error?: string
  /** Why it failed; when absent, decided from `error` (see tasks/error-codes). */
  errorCode?: TaskErrorCode
}

/** The task a delivery names, only if it was submitted to that provider (read-only). */
export function findProviderTask(db: Db, taskId: string, provider: string): Promise<Task | undefined> {
  return db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.id, taskId), eq(t.provider, provider)) })
}

/**
 * Fetches or decodes result images right away (provider URLs expire). URLs must be on the
 * provider's host allowlist (see `resultHosts`); downloads are size-capped while streaming.
 */
export async function collectResults(env: Env, source: ResultSource, items: ResultItem[]): Promise<GeneratedImage[]> {
  const limit = maxImageBytes(env)
  const allowedHosts = resultHosts(env, source)
  return Promise.all(
    items.map(async (item) => {
      const url = typeof item === 'string' ? item : item.url
      if (url && /^https?:\/\//i.test(url)) return { bytes: await downloadResult(url, { maxBytes: limit, allowedHosts }) }
      const inline = typeof item === 'string' ? item : (item.base64 ?? item.data)
      if (!inline) throw badRequest('Each result needs a url or base64 data')
      const payload = inline.replace(/^data:[^,]*;base64,/, '')
      if (payload.length > Math.ceil((limit * 4) / 3) + 4) throw badRequest('Result image too large')
      try {
        return { bytes: fromBase64(payload) }
      } catch {
        throw badRequest('Result image is not valid base64')
      }
    }),
  )
}

/** Applies a provider's report to a task through the task state machine; finished tasks are left alone. */
export async function applyReport(env: Env, db: Db, source: ResultSource, task: Task | undefined, report: TaskReport): Promise<CallbackEffect> {
  if (!task || (task.status !== 'queued' && task.status !== 'running')) return 'ignored'
  if (task.status === 'queued') {
    // A callback can beat the queue consumer's own bookkeeping; it proves the job started.
    await markTaskRunning(env, task.id)
    task = { ...task, status: 'running' }
  }
  if (report.status === 'running') {
    if (report.progress !== undefined) await reportProgress(env, task, report.progress)
    return 'progress'
  }
  if (report.status === 'failed') {
    const errorCode = report.errorCode ?? errorCodeFromText(report.error)
    await failTask(env, task, report.error?.slice(0, 500) || 'The generation service reported a failure', 'failed', errorCode)
    return 'failed'
  }
  const results = report.results ?? []
  if (results.length > task.batchSize) {
    throw badRequest(`The task asked for ${task.batchSize} image(s); the callback carries ${results.length}`, [{ field: 'images', message: `At most ${task.batchSize}` }])
  }
  if (results.length === 0) {
    await failTask(env, task, 'The generation service finished without images')
    return 'failed'
  }
  const images = await collectResults(env, source, results)
  return (await completeTask(env, db, task, images)) ? 'completed' : 'ignored'
}
