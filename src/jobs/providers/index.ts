import { isLocal } from '../../lib/locality'
import { configurationError } from '../../lib/errors'
import { comfyuiProvider } from './comfyui'
import { localProvider } from './local'
import { replicateProvider } from './replicate'
import type { GenerationProvider } from './types'
import { webhookProvider } from './webhook'
import { config } from '../../lib/config'

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
