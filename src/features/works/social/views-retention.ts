/**
 * How long view rows are kept. They exist to count a view once per viewer, work and UTC day and
 * for `weeklyViews` (the last 7 × 24 hours); a day more covers both. Older rows only link one
 * viewer's (or network hash's) reads to each other, so the cron deletes them.
 */
export const WORK_VIEW_RETENTION_MS = 8 * 86_400_000

/** Rows deleted per statement, so one sweep stays a short write. */
const BATCH = 5000

/**
 * Deletes `work_views` rows older than 8 days (by `created_at`, indexed), at most 5,000 per run;
 * the next cron run continues. `works.views_count` is unchanged: only inserting a view row
 * bumps it (there is no delete trigger), so counts stay lifetime totals. Answers rows deleted.
 */
export async function pruneWorkViews(env: Env, now = Date.now()): Promise<number> {
  const res = await env.DB.prepare(
    'DELETE FROM work_views WHERE rowid IN (SELECT rowid FROM work_views WHERE created_at < ?1 LIMIT ?2)',
  )
    .bind(now - WORK_VIEW_RETENTION_MS, BATCH)
    .run()
  return res.meta.changes
}
