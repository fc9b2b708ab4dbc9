import { env } from 'cloudflare:test'
import { putSetting } from '../../../src/features/settings/service'
import { createWorkRoute } from '../../../src/features/works/items/routes'
import { callJson, dataOf } from '../../helpers'
import { makePng, uploadImage } from '../../support/images'

/** Helpers of the works/items suites: an uploaded image made a work through the API, row reads. */

let pngCounter = 0

/** Uploads a distinct small PNG as `token`'s image. */
export async function ownImage(token: string, extra: Record<string, string> = {}) {
  pngCounter += 1
  const png = await makePng(8 + (pngCounter % 50), 8 + Math.floor(pngCounter / 50))
  return uploadImage(token, png, `work-${pngCounter}.png`, extra)
}

/** POST /api/works from a fresh image; throws unless 201. */
export async function createdWork(token: string, body: Record<string, unknown> = {}) {
  const image = await ownImage(token)
  const result = await callJson('POST', '/api/works', { imageId: image.id, ...body }, { token })
  return { image, work: dataOf(result, createWorkRoute, 201).work }
}

export interface WorkDbRow {
  id: string
  title: string | null
  is_public: number
  review_status: string
  review_reason: string | null
  published_at: number | null
  publish_version: number
  views_count: number
  tags: string
}

export const workRow = (id: string) => env.DB.prepare('SELECT * FROM works WHERE id = ?1').bind(id).first<WorkDbRow>()

export const imageRefs = (id: string) =>
  env.DB.prepare('SELECT ref_count AS refs, deleted_at IS NOT NULL AS hidden FROM images WHERE id = ?1').bind(id).first<{ refs: number; hidden: number }>()

/** Marks a work reviewed the way the admin review does (approved publishes it). */
export async function review(id: string, status: 'approved' | 'rejected', reason: string | null = null) {
  const now = Date.now()
  await env.DB.prepare(
    `UPDATE works SET review_status = ?2, review_reason = ?3, reviewed_at = ?4,
       published_at = CASE WHEN is_public = 1 AND ?2 = 'approved' THEN COALESCE(published_at, ?4) ELSE NULL END,
       publish_version = publish_version + (CASE WHEN is_public = 1 AND ?2 = 'approved' AND published_at IS NULL THEN 1 ELSE 0 END)
     WHERE id = ?1`,
  )
    .bind(id, status, reason, now)
    .run()
}

/** Switches the `worksReview` setting (tests run with SETTINGS_CACHE_SECONDS=0: the next request sees it). */
export async function setWorksReview(value: 'on' | 'off') {
  await putSetting(env, 'worksReview', value, null)
}
