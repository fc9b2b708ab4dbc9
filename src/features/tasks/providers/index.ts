import { isLocal } from '../../../lib/locality'
import { configurationError } from '../../../lib/errors'
import { comfyuiProvider } from './comfyui'
import { localProvider } from './local'
import { replicateProvider } from './replicate'
import type { GenerationProvider } from './types'
import { webhookProvider } from './webhook'
import { config } from '../../../lib/config'
import { errorText, log } from '../../../lib/logger'
import type { Task } from '../../../db/schema'

export const PROVIDERS: Record<string, GenerationProvider> = {
  local: localProvider,
  webhook: webhookProvider,
  comfyui: comfyuiProvider,
  replicate: replicateProvider,
}

/** The provider new tasks use (`GENERATION_PROVIDER`, default `local`). */
export function configuredProvider(env: Env): string {
  return config(env).GENERATION_PROVIDER
}

/**
 * Where providers call back: PUBLIC_BASE_URL, or the dev server in local development. Anywhere
 * else a missing PUBLIC_BASE_URL is a configuration error, never a silent localhost.
 */
export function callbackBase(env: Env): string {
  const base = config(env).PUBLIC_BASE_URL
  if (base) return base
  if (isLocal(env)) return 'http://localhost:8787'
  throw configurationError('PUBLIC_BASE_URL is not set: providers would not know where to call back')
}

/**
 * Asks the task's provider to stop its submitted job, best effort: refunds never wait on it or
 * depend on it, so failures are logged and swallowed.
 */
export async function cancelAtProvider(env: Env, task: Pick<Task, 'id' | 'provider' | 'providerJobId'>): Promise<void> {
  const provider = PROVIDERS[task.provider]
  if (!task.providerJobId || !provider?.cancel) return
  try {
    await provider.cancel(env, task)
  } catch (error) {
    log.warn('provider cancel failed', { taskId: task.id, provider: task.provider, error: errorText(error) })
  }
}
