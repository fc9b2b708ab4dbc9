import type { Task } from '../../db/schema'

/** One generated picture, as a provider hands it over. */
export interface GeneratedImage {
  bytes: Uint8Array
  /** A ready thumbnail (≤ 256 px) if the provider made one: saves an Images transformation. */
  thumb?: Uint8Array
  thumbhash?: string
}

export type ProviderOutcome =
  /** Finished now: store these images. */
  | { kind: 'images'; images: GeneratedImage[] }
  /** Accepted by an external service; results arrive by webhook (or by polling). */
  | { kind: 'submitted'; jobId: string; pollAfterSeconds?: number }
  /** Still working: look again later. */
  | { kind: 'pending'; pollAfterSeconds: number; progress?: number }
  /** The service says the job failed: fail and refund. */
  | { kind: 'failed'; error: string }

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
  /** Asks the service to stop a running job (best effort). */
  cancel?(env: Env, task: Task): Promise<void>
}

/** A provider failure worth retrying (network, 5xx, timeouts). */
export class RetryableProviderError extends Error {
  override name = 'RetryableProviderError'
}

/** Downloads a result right away (provider URLs expire), bounded in time and size. */
export async function downloadResult(url: string, maxBytes: number, headers?: HeadersInit): Promise<Uint8Array> {
  if (!/^https?:\/\//i.test(url)) throw new Error('result URL must be http(s)')
  let res: Response
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) })
  } catch (error) {
    throw new RetryableProviderError(`download failed: ${String(error)}`)
  }
  if (res.status >= 500 || res.status === 429) throw new RetryableProviderError(`download answered ${res.status}`)
  if (!res.ok) throw new Error(`download answered ${res.status}`)
  const declared = Number(res.headers.get('content-length') ?? 0)
  if (declared > maxBytes) throw new Error('result image too large')
  const bytes = new Uint8Array(await res.arrayBuffer())
  if (bytes.length > maxBytes) throw new Error('result image too large')
  return bytes
}
