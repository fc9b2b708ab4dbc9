import type { Task } from '../../../db/schema'
import type { GeneratedImage } from '../../images/generated'
import type { TaskErrorCode } from '../error-codes'

/** Stored by the images module, which owns the shape of what it stores. */
export type { GeneratedImage }

export type ProviderOutcome =
  /** Finished now: store these images. */
  | { kind: 'images'; images: GeneratedImage[] }
  /** Accepted by an external service; results arrive by webhook (or by polling). */
  | { kind: 'submitted'; jobId: string; pollAfterSeconds?: number }
  /** Still working: look again later. */
  | { kind: 'pending'; pollAfterSeconds: number; progress?: number }
  /** The service says the job failed: fail and refund. */
  | { kind: 'failed'; error: string; errorCode?: TaskErrorCode }

export interface RunContext {
  reportProgress(progress: number): Promise<void>
  callbackBase: string
}

export interface GenerationProvider {
  readonly name: string
  /** Starts (or, for local, performs) the job. */
  run(env: Env, task: Task, ctx: RunContext): Promise<ProviderOutcome>
  /** For providers without webhooks: checks a submitted job. */
  poll?(env: Env, task: Task): Promise<ProviderOutcome>
  /** Asks the service to stop a submitted job (best effort; callers catch and log). */
  cancel?(env: Env, task: Pick<Task, 'id' | 'providerJobId'>): Promise<void>
}

/** A provider failure worth retrying (network, 5xx, timeouts). */
export class RetryableProviderError extends Error {
  override name = 'RetryableProviderError'
}
