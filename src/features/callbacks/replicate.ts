import type { Task } from '../../db/schema'
import type { Db } from '../../env'
import { bindUnboundProviderJob } from '../tasks/state'
import { errorCodeFromText } from '../tasks/error-codes'
import type { ReplicatePrediction } from './schemas'
import { findProviderTask, type TaskReport } from './service'

/** The `taskId` we put in the webhook URL of a prediction (the body's copy is covered by the signature). */
export function taskIdFromWebhookUrl(url: string | null | undefined): string | undefined {
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
export async function replicateTask(env: Env, db: Db, predictionId: string, hint: string | undefined): Promise<Task | undefined> {
  const byJob = await db.query.tasks.findFirst({ where: (t, { and, eq }) => and(eq(t.provider, 'replicate'), eq(t.providerJobId, predictionId)) })
  if (byJob || !hint) return byJob
  if (!(await bindUnboundProviderJob(env, hint, 'replicate', predictionId))) return undefined
  return findProviderTask(db, hint, 'replicate')
}

/** Replicate's logs carry tqdm bars ("45%|..."): the last percentage is the progress. */
function progressFromLogs(logs: string | null | undefined): number | undefined {
  const matches = [...(logs ?? '').matchAll(/(\d{1,3})%\|/g)]
  const last = matches.at(-1)?.[1]
  return last === undefined ? undefined : Math.min(99, Number(last))
}

/** What a prediction says about its task, as a report (never more outputs than the task asked for). */
export function predictionReport(p: ReplicatePrediction, task: Pick<Task, 'batchSize'>): TaskReport {
  const outputs = p.output == null ? [] : Array.isArray(p.output) ? p.output : [p.output]
  if (p.status === 'succeeded') return { status: 'succeeded', results: outputs.slice(0, task.batchSize) }
  if (p.status === 'failed' || p.status === 'canceled') {
    // Replicate's safety checker fails the prediction with an error such as "NSFW content detected".
    return { status: 'failed', error: p.error || `Prediction ${p.status}`, errorCode: errorCodeFromText(p.error) }
  }
  return { status: 'running', progress: p.status === 'starting' ? 1 : progressFromLogs(p.logs) }
}
