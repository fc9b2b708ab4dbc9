import type { SAMPLERS, SIZES } from '../scenes/schemas'

/** What a task uses for each parameter that neither the request nor the scene sets. */
export const DEFAULTS = {
  model: 'sdxl-base-1.0',
  size: '512x512' as (typeof SIZES)[number],
  batchSize: 1,
  cfgScale: 7,
  steps: 20,
  seed: -1,
  sampler: 'euler' as (typeof SAMPLERS)[number],
  clipSkip: 1,
}

/**
 * cost = ceil(unit × batchSize × pixels / 512² × max(1, steps / 30)), where unit is the scene's
 * cost or the `generationCostUnit` runtime setting (default 2). 512x512: ×1, 768x512: ×1.5, 1024x1024: ×4; 50 steps: ×1.67.
 */
export function taskCost(unit: number, size: string, batchSize: number, steps: number): number {
  const [w, h] = size.split('x').map(Number) as [number, number]
  return Math.ceil(unit * batchSize * ((w * h) / (512 * 512)) * Math.max(1, steps / 30))
}

/** A rough duration in seconds for clients to show, from pixels, steps and batch. */
export function estimateSeconds(size: string, batchSize: number, steps: number): number {
  const [w, h] = size.split('x').map(Number) as [number, number]
  return Math.max(2, Math.round(2 + ((w * h) / (512 * 512)) * steps * batchSize * 0.25))
}
