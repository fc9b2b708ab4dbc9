/**
 * When a work is in the gallery. One rule, used by every statement that changes `is_public` or
 * `review_status`: a work is published exactly while it is public AND approved. Becoming
 * published sets `published_at` (now) and bumps `publish_version`, so the public image URLs of a
 * work made private and public again are new ones (edge caches of the old URLs are never reused).
 * Use as the tail of an `UPDATE works SET …` whose new `is_public`/`review_status` values are
 * bound at `?isPublicParam` / `?reviewParam` and now at `?nowParam`.
 */
export function publicationSet(isPublicParam: number, reviewParam: number, nowParam: number): string {
  const published = `(?${isPublicParam} = 1 AND ?${reviewParam} = 'approved')`
  return `published_at = CASE WHEN ${published} THEN COALESCE(published_at, ?${nowParam}) ELSE NULL END,
    publish_version = publish_version + (CASE WHEN ${published} AND published_at IS NULL THEN 1 ELSE 0 END)`
}
