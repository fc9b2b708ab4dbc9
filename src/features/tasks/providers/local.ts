import { rgbaToThumbHash } from 'thumbhash'
import type { Task } from '../../../db/schema'
import { toBase64 } from '../../../lib/ids'
import { encodePng } from '../../../lib/png'
import type { GeneratedImage, GenerationProvider } from './types'

/** FNV-1a of a string: a stable 32-bit seed from the prompt. */
function hashString(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Scene {
  colors: Array<[number, number, number]>
  angle: number
  circles: Array<{ x: number; y: number; r: number; color: [number, number, number] }>
}

/** The picture is a function of (prompt, seed): gradient plus soft discs. */
function composeScene(prompt: string, seed: number): Scene {
  const random = mulberry32(hashString(prompt) ^ seed)
  const color = (): [number, number, number] => [random() * 255, random() * 255, random() * 255]
  return {
    colors: [color(), color()],
    angle: random() * Math.PI * 2,
    circles: Array.from({ length: 3 + Math.floor(random() * 5) }, () => ({ x: random(), y: random(), r: 0.05 + random() * 0.3, color: color() })),
  }
}

/** Paints rows [from, to) of a width×height picture of `scene` into `rgba`. */
function paint(scene: Scene, width: number, height: number, rgba: Uint8Array, from = 0, to = height) {
  const [c1, c2] = scene.colors as [[number, number, number], [number, number, number]]
  const cos = Math.cos(scene.angle)
  const sin = Math.sin(scene.angle)
  const aspect = width / height
  for (let y = from; y < to; y++) {
    const v = (y + 0.5) / height
    for (let x = 0; x < width; x++) {
      const u = (x + 0.5) / width
      const t = Math.min(1, Math.max(0, 0.5 + (u - 0.5) * cos + (v - 0.5) * sin))
      let r = c1[0] + (c2[0] - c1[0]) * t
      let g = c1[1] + (c2[1] - c1[1]) * t
      let b = c1[2] + (c2[2] - c1[2]) * t
      for (const circle of scene.circles) {
        const dx = (u - circle.x) * aspect
        const dy = v - circle.y
        const d = Math.sqrt(dx * dx + dy * dy) / circle.r
        if (d < 1) {
          const a = 0.55 * (1 - d * d)
          r += (circle.color[0] - r) * a
          g += (circle.color[1] - g) * a
          b += (circle.color[2] - b) * a
        }
      }
      const o = (y * width + x) * 4
      rgba[o] = r
      rgba[o + 1] = g
      rgba[o + 2] = b
      rgba[o + 3] = 255
    }
  }
}

async function render(scene: Scene, width: number, height: number): Promise<{ png: Uint8Array; rgba: Uint8Array }> {
  const rgba = new Uint8Array(width * height * 4)
  paint(scene, width, height, rgba)
  return { png: await encodePng(width, height, rgba), rgba }
}

const fitInto = (width: number, height: number, side: number) => {
  const s = Math.min(1, side / Math.max(width, height))
  return [Math.max(1, Math.round(width * s)), Math.max(1, Math.round(height * s))] as const
}

/**
 * The development provider: renders a real, deterministic PNG from prompt, seed and size inside
 * the Worker, with no network, reporting progress as it paints. It also paints its own 256 px
 * thumbnail and ThumbHash, so generated images cost no Images transformation.
 */
export const localProvider: GenerationProvider = {
  name: 'local',
  async run(_env: Env, task: Task, ctx) {
    const images: GeneratedImage[] = []
    const bands = 4
    for (let i = 0; i < task.batchSize; i++) {
      const scene = composeScene(task.prompt, (task.seed + i) >>> 0)
      const rgba = new Uint8Array(task.width * task.height * 4)
      for (let band = 0; band < bands; band++) {
        paint(scene, task.width, task.height, rgba, Math.floor((band * task.height) / bands), Math.floor(((band + 1) * task.height) / bands))
        await ctx.reportProgress(Math.min(99, Math.round(((i * bands + band + 1) / (task.batchSize * bands)) * 100)))
      }
      const [tw, th] = fitInto(task.width, task.height, 256)
      const [hw, hh] = fitInto(task.width, task.height, 64)
      const [thumb, tiny] = await Promise.all([render(scene, tw, th), render(scene, hw, hh)])
      images.push({
        bytes: await encodePng(task.width, task.height, rgba),
        thumb: thumb.png,
        thumbhash: toBase64(rgbaToThumbHash(hw, hh, tiny.rgba)),
      })
    }
    return { kind: 'images', images }
  },
}
