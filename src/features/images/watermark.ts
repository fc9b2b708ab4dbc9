import { z } from '@hono/zod-openapi'

export const WatermarkSchema = z
  .object({
    /** R2 key of the overlay PNG (made by the server, never by the client). */
    key: z.string().min(1),
    position: z
      .enum(['center', 'top-left', 'top-right', 'bottom-left', 'bottom-right'])
      .default('bottom-right'),
    opacity: z.number().min(0).max(1).default(0.6),
    /** Overlay width as a fraction of the photo's width. */
    scale: z.number().min(0.05).max(1).default(0.2),
  })
  .openapi('Watermark')

export type Watermark = z.infer<typeof WatermarkSchema>

/** Where to draw an overlay of `overlay` size on a `base` size photo, as draw() offsets. */
export function watermarkPlacement(
  base: { width: number; height: number },
  overlay: { width: number; height: number },
  position: Watermark['position'],
): ImageDrawOptions {
  const margin = Math.round(Math.min(base.width, base.height) * 0.03)
  switch (position) {
    case 'top-left':
      return { top: margin, left: margin }
    case 'top-right':
      return { top: margin, right: margin }
    case 'bottom-left':
      return { bottom: margin, left: margin }
    case 'bottom-right':
      return { bottom: margin, right: margin }
    case 'center':
      return {
        top: Math.max(0, Math.round((base.height - overlay.height) / 2)),
        left: Math.max(0, Math.round((base.width - overlay.width) / 2)),
      }
  }
}

/**
 * Draws the watermark on a photo that is being transformed. `base` is the size the photo will
 * have at that point of the chain. Returns the chain unchanged when the overlay is missing, so a
 * deleted watermark never breaks a gallery. (The local Images binding of `wrangler dev` ignores
 * draw(); Cloudflare applies it.)
 */
export async function drawWatermark(
  env: Env,
  photo: ImageTransformer,
  base: { width: number; height: number },
  watermark: Watermark,
): Promise<ImageTransformer> {
  const overlayObject = await env.MEDIA.get(watermark.key)
  if (!overlayObject) return photo
  const overlayBytes = new Uint8Array(await overlayObject.arrayBuffer())
  const info = await env.IMAGES.info(new Blob([overlayBytes]).stream())
  if (!('width' in info)) return photo
  const width = Math.max(1, Math.round(base.width * watermark.scale))
  const height = Math.max(1, Math.round((info.height / info.width) * width))
  // `contain` may enlarge: a small logo still covers `scale` of a large photo.
  const overlay = env.IMAGES.input(new Blob([overlayBytes]).stream()).transform({ width, height, fit: 'contain' })
  return photo.draw(overlay, {
    opacity: watermark.opacity,
    ...watermarkPlacement(base, { width, height }, watermark.position),
  })
}
