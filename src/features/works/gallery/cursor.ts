import { z } from '@hono/zod-openapi'
import { badRequest } from '../../../lib/errors'
import { GALLERY_SORTS, type GallerySort } from './schemas'

/**
 * The opaque keyset cursor of the gallery: base64url of the last item's sort values and id, the
 * sort they belong to, the moment the first page was read (`at`: the time windows of `popular`
 * and `timeFilter` stay where they were, so an item never moves between pages because the clock
 * did) and the number of the page it opens.
 */
const CursorSchema = z.object({
  s: z.enum(GALLERY_SORTS),
  k: z.array(z.number().int()).min(1).max(2),
  id: z.string().min(1).max(64),
  at: z.number().int().nonnegative(),
  p: z.number().int().min(2),
})
export type GalleryCursor = z.infer<typeof CursorSchema>

/** How many sort values each sort carries before the id. */
export const SORT_KEY_COUNT: Record<GallerySort, number> = { latest: 1, views: 1, likes: 1, popular: 2 }

const toBase64Url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

export function encodeCursor(cursor: GalleryCursor): string {
  return toBase64Url(JSON.stringify(cursor))
}

/** The cursor in `text` for `sort`; 400 when it is not one of ours, or belongs to another sort. */
export function decodeCursor(text: string, sort: GallerySort): GalleryCursor {
  let parsed: unknown
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    parsed = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))))
  } catch {
    throw badRequest('Invalid cursor: pass nextCursor from a previous page unchanged', [{ field: 'cursor', message: 'Not a gallery cursor' }])
  }
  const result = CursorSchema.safeParse(parsed)
  if (!result.success || result.data.k.length !== SORT_KEY_COUNT[result.data.s]) {
    throw badRequest('Invalid cursor: pass nextCursor from a previous page unchanged', [{ field: 'cursor', message: 'Not a gallery cursor' }])
  }
  if (result.data.s !== sort) {
    throw badRequest(`This cursor pages sort=${result.data.s}, not sort=${sort}`, [{ field: 'cursor', message: `Cursor of sort ${result.data.s}` }])
  }
  return result.data
}
