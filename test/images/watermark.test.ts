import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { drawWatermark, type Watermark, WatermarkSchema, watermarkPlacement } from '../../src/features/images/watermark'
import { storageKeys } from '../../src/lib/storage-keys'
import { bytesOf, makePng } from '../support/images'

// The local Images binding ignores draw(), so a real render cannot show whether a watermark is
// placed and sized right. Instead a recording fake stands in for the transformer chain, while
// R2 and the overlay's info() are real: the test sees exactly what would be asked of Cloudflare.

interface Op {
  op: 'transform' | 'draw'
  args: unknown[]
}

/** An ImageTransformer that records its chain; every call returns a new handle, like the real one. */
class RecordingTransformer implements ImageTransformer {
  constructor(
    readonly name: string,
    readonly ops: Op[] = [],
    readonly source?: ReadableStream<Uint8Array>,
  ) {}
  transform(transform: ImageTransform): ImageTransformer {
    return new RecordingTransformer(this.name, [...this.ops, { op: 'transform', args: [transform] }], this.source)
  }
  draw(image: ReadableStream<Uint8Array> | ImageTransformer, options?: ImageDrawOptions): ImageTransformer {
    return new RecordingTransformer(this.name, [...this.ops, { op: 'draw', args: [image, options] }], this.source)
  }
  output(): Promise<ImageTransformationResult> {
    throw new Error('drawWatermark must not render; it only extends the chain')
  }
}

/** Env with real R2 and a fake IMAGES whose input() records; info() is real unless overridden. */
function fakeEnv(info?: ImagesBinding['info']) {
  const inputs: RecordingTransformer[] = []
  const images = {
    info: info ?? ((stream: ReadableStream<Uint8Array>) => env.IMAGES.info(stream)),
    input: (stream: ReadableStream<Uint8Array>) => {
      const t = new RecordingTransformer(`input#${inputs.length}`, [], stream)
      inputs.push(t)
      return t
    },
  }
  return { env: { MEDIA: env.MEDIA, IMAGES: images } as unknown as Env, inputs }
}

const KEY = storageKeys.watermark('usr_wm', 'logo')
let overlayPng: Uint8Array // 200x100: a 2:1 logo
const base = { width: 1000, height: 800 }
const mark = (over: Partial<Watermark> = {}): Watermark => WatermarkSchema.parse({ key: KEY, ...over })

/** Runs drawWatermark on a fresh photo handle and returns what it asked for. */
async function run(watermark: Watermark, size = base) {
  const fake = fakeEnv()
  const photo = new RecordingTransformer('photo')
  const result = (await drawWatermark(fake.env, photo, size, watermark)) as RecordingTransformer
  const draw = result.ops.find((o) => o.op === 'draw')
  return { photo, result, fake, overlay: draw?.args[0] as RecordingTransformer | undefined, options: draw?.args[1] as ImageDrawOptions | undefined }
}

beforeAll(async () => {
  overlayPng = await makePng(200, 100)
  await env.MEDIA.put(KEY, overlayPng, { httpMetadata: { contentType: 'image/png' } })
})

describe('drawWatermark', () => {
  it('draws the R2 overlay once on the photo, with the requested opacity', async () => {
    const { photo, result, fake, overlay, options } = await run(mark({ opacity: 0.35 }))
    expect(result).not.toBe(photo)
    expect(result.name).toBe('photo')
    expect(result.ops.map((o) => o.op)).toEqual(['draw'])
    expect(options?.opacity).toBe(0.35)
    // The overlay handle comes from the bytes stored in R2, not from anything else.
    expect(fake.inputs).toHaveLength(1)
    expect(overlay?.name).toBe('input#0')
    expect(await bytesOf(new Response(overlay!.source!))).toEqual(overlayPng)
  })

  it('scales the overlay to `scale` of the photo width, keeping its aspect ratio', async () => {
    const cases: Array<[number, { width: number; height: number }, { width: number; height: number }]> = [
      [0.2, base, { width: 200, height: 100 }],
      [0.25, base, { width: 250, height: 125 }],
      [0.1, { width: 640, height: 480 }, { width: 64, height: 32 }],
      [0.2, { width: 333, height: 500 }, { width: 67, height: 34 }], // rounded, never fractional
      [1, { width: 4000, height: 3000 }, { width: 4000, height: 2000 }], // full photo width
    ]
    for (const [scale, size, want] of cases) {
      const { overlay } = await run(mark({ scale }), size)
      const what = `scale ${scale} on ${size.width}x${size.height}`
      expect(overlay?.ops.map((o) => o.op), what).toEqual(['transform'])
      expect(overlay?.ops[0]?.args[0], what).toMatchObject(want)
    }
  })

  it('asks Cloudflare to enlarge a logo smaller than the requested width', async () => {
    // fit=scale-down never enlarges: a 200 px logo meant to cover 20% of a 4000 px photo would
    // stay 200 px (5%), and the centre offsets, computed for 800 px, would put it off-centre.
    const { overlay } = await run(mark({ scale: 0.2, position: 'center' }), { width: 4000, height: 3000 })
    const transform = overlay?.ops[0]?.args[0] as ImageTransform
    expect(transform).toMatchObject({ width: 800, height: 400 })
    expect(transform.fit, 'a fit mode that can enlarge (contain, cover, squeeze)').not.toBe('scale-down')
  })

  it('places the overlay for each position with a 3% margin of the shorter side', async () => {
    // base 1000x800 → margin round(800 * 0.03) = 24; overlay at scale 0.25 is 250x125.
    const expected: Record<Watermark['position'], ImageDrawOptions> = {
      'top-left': { top: 24, left: 24 },
      'top-right': { top: 24, right: 24 },
      'bottom-left': { bottom: 24, left: 24 },
      'bottom-right': { bottom: 24, right: 24 },
      center: { top: 338, left: 375 }, // (800-125)/2 = 337.5 → 338, (1000-250)/2 = 375
    }
    for (const [position, offsets] of Object.entries(expected)) {
      const { options } = await run(mark({ position: position as Watermark['position'], scale: 0.25, opacity: 0.5 }))
      // Exactly these keys: a stray `top` next to `bottom` would stretch or misplace it.
      expect(options, position).toEqual({ opacity: 0.5, ...offsets })
    }
  })

  it('defaults to bottom-right, 60% opacity, 20% width', async () => {
    const { options, overlay } = await run(mark())
    expect(options).toEqual({ opacity: 0.6, bottom: 24, right: 24 })
    expect(overlay?.ops[0]?.args[0]).toMatchObject({ width: 200, height: 100 })
  })

  it('returns the photo chain unchanged when the overlay is missing from R2', async () => {
    const fake = fakeEnv()
    const photo = new RecordingTransformer('photo')
    const result = await drawWatermark(fake.env, photo, base, mark({ key: storageKeys.watermark('usr_wm', 'deleted') }))
    expect(result).toBe(photo)
    expect(photo.ops).toEqual([])
    expect(fake.inputs).toEqual([])
  })

  it('returns the chain unchanged when the overlay has no pixel size (a vector file)', async () => {
    const fake = fakeEnv(async () => ({ format: 'image/svg+xml' }))
    const photo = new RecordingTransformer('photo')
    expect(await drawWatermark(fake.env, photo, base, mark())).toBe(photo)
    expect(fake.inputs).toEqual([])
  })
})

describe('watermarkPlacement', () => {
  it('uses the shorter side for the margin, so portrait and landscape match', () => {
    const overlay = { width: 100, height: 50 }
    expect(watermarkPlacement({ width: 600, height: 900 }, overlay, 'top-left')).toEqual({ top: 18, left: 18 })
    expect(watermarkPlacement({ width: 900, height: 600 }, overlay, 'bottom-right')).toEqual({ bottom: 18, right: 18 })
  })

  it('centres exactly and never gives negative offsets for an overlay larger than the photo', () => {
    expect(watermarkPlacement({ width: 300, height: 200 }, { width: 100, height: 50 }, 'center')).toEqual({ top: 75, left: 100 })
    expect(watermarkPlacement({ width: 100, height: 80 }, { width: 300, height: 200 }, 'center')).toEqual({ top: 0, left: 0 })
  })
})

describe('WatermarkSchema', () => {
  it('refuses out-of-range opacity and scale and unknown positions', () => {
    expect(WatermarkSchema.safeParse({ key: KEY, opacity: 1.5 }).success).toBe(false)
    expect(WatermarkSchema.safeParse({ key: KEY, opacity: -0.1 }).success).toBe(false)
    expect(WatermarkSchema.safeParse({ key: KEY, scale: 0.01 }).success).toBe(false)
    expect(WatermarkSchema.safeParse({ key: KEY, scale: 1.5 }).success).toBe(false)
    expect(WatermarkSchema.safeParse({ key: KEY, position: 'middle' }).success).toBe(false)
    expect(WatermarkSchema.safeParse({ key: '' }).success).toBe(false)
  })
})
