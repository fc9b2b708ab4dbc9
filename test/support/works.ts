import { env } from 'cloudflare:test'
import { expect } from 'vitest'
import { newId } from '../../src/lib/ids'
import { expectError } from '../helpers'

/**
 * Works written straight into D1 for tests of the gallery and social features, without going
 * through generation. The image row points at R2 keys that hold a tiny real PNG, so image routes
 * can serve it. Use the API (`POST /api/works`) where the creation itself is under test.
 */

/** A 1×1 PNG. */
const PNG_1X1 = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
)

export interface WorkSeed {
  title?: string | null
  description?: string | null
  prompt?: string | null
  tags?: string[]
  category?: string | null
  /** Public and approved, with `publishedAt` (default now). */
  published?: boolean
  publishedAt?: number
  createdAt?: number
  featured?: boolean
  reviewStatus?: 'none' | 'pending' | 'approved' | 'rejected'
  isPublic?: boolean
}

/** Inserts an image (with real R2 objects) and a work for `userId`; answers both ids. */
export async function insertWork(userId: string, seed: WorkSeed = {}): Promise<{ workId: string; imageId: string }> {
  const now = seed.createdAt ?? Date.now()
  const imageId = newId('img')
  const workId = newId('wrk')
  const key = (v: string) => `test/${userId}/${imageId}/${v}.png`
  await Promise.all(['original', 'thumb', 'preview'].map((v) => env.MEDIA.put(key(v), PNG_1X1, { httpMetadata: { contentType: 'image/png' } })))
  const published = seed.published ?? false
  const publishedAt = published ? (seed.publishedAt ?? now) : null
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO images (id, owner_id, type, mime, width, height, bytes, sha256, original_key, thumb_key, preview_key, preview_ready, ref_count, created_at, updated_at)
       VALUES (?1, ?2, 'uploaded', 'image/png', 1, 1, ?3, 'test', ?4, ?5, ?6, 1, 2, ?7, ?7)`,
    ).bind(imageId, userId, PNG_1X1.length, key('original'), key('thumb'), key('preview'), now),
    env.DB.prepare(
      `INSERT INTO works (id, seq, user_id, image_id, title, description, prompt, tags, category, is_public, review_status, featured,
         published_at, publish_version, created_at, updated_at)
       VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM works), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)`,
    ).bind(
      workId,
      userId,
      imageId,
      seed.title ?? null,
      seed.description ?? null,
      seed.prompt ?? null,
      JSON.stringify(seed.tags ?? []),
      seed.category ?? null,
      (seed.isPublic ?? published) ? 1 : 0,
      seed.reviewStatus ?? (published ? 'approved' : 'none'),
      seed.featured ? 1 : 0,
      publishedAt,
      published ? 1 : 0,
      now,
    ),
  ])
  return { workId, imageId }
}

/**
 * Waits until the current fixed rate-limit window of `windowMs` has at least 5 s left, so a
 * test's burst cannot straddle two windows (each with its own budget).
 */
export async function awayFromWindowEdge(windowMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs)
  if (left < 5000) await new Promise((resolve) => setTimeout(resolve, left + 50))
}

/** Exactly `refusedCount` of `answers` were refused by a per-minute limit: 429 with a Retry-After of 1–60 s. */
export function expectMinuteLimited(answers: Array<{ status: number; body: unknown; res: Response }>, refusedCount: number): void {
  const refused = answers.filter((a) => a.status === 429)
  expect(refused).toHaveLength(refusedCount)
  for (const r of refused) {
    expectError(r, 429, 'RATE_LIMITED')
    const retryAfter = Number(r.res.headers.get('Retry-After'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
  }
}
