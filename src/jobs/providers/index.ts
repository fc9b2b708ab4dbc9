import { isLocal } from '../../lib/config'
import { configurationError } from '../../lib/errors'
import { comfyuiProvider } from './comfyui'
import { localProvider } from './local'
import { replicateProvider } from './replicate'
import type { GenerationProvider } from './types'
import { webhookProvider } from './webhook'

export const PROVIDERS: Record<string, GenerationProvider> = {
  local: localProvider,
  webhook: webhookProvider,
  comfyui: comfyuiProvider,
  replicate: replicateProvider,
}

/** The provider new tasks use (`GENERATION_PROVIDER`, default `local`). */
export function configuredProvider(env: Env): string {
  const name = env.GENERATION_PROVIDER || 'local'
  if (!(name in PROVIDERS)) throw configurationError(`GENERATION_PROVIDER "${name}" is not one of ${Object.keys(PROVIDERS).join(', ')}`)
  return name
}

/**
 * Where providers call back: PUBLIC_BASE_URL, or the dev server in local development. Anywhere
 * else a missing PUBLIC_BASE_URL is a configuration error, never a silent localhost.
 */
export function callbackBase(env: Env): string {
  if (env.PUBLIC_BASE_URL) return env.PUBLIC_BASE_URL.replace(/\/+$/, '')
  if (isLocal(env)) return 'http://localhost:8787'
  throw configurationError('PUBLIC_BASE_URL is not set: providers would not know where to call back')
}
