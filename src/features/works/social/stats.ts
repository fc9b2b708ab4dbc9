import type { UserStats } from './schemas'

const WEEK_MS = 7 * 86_400_000

/**
 * The works side of a user's statistics (works, views, likes, follows: tables the works feature
 * owns), as columns of one SELECT: the user id is bound at `?1`, the start of the calendar month
 * (UTC, ms) at `?2`, and the start of the last 7 days (ms) at `?3` (see `workStatsParams`).
 * Aliases match the `UserStats` fields.
 */
export const WORK_STATS_COLUMNS = `
  (SELECT COUNT(*) FROM works WHERE user_id = ?1) AS totalWorks,
  (SELECT COUNT(*) FROM works WHERE user_id = ?1 AND is_public = 1) AS publicWorks,
  (SELECT COALESCE(SUM(views_count), 0) FROM works WHERE user_id = ?1) AS totalViews,
  (SELECT COALESCE(SUM(likes_count), 0) FROM works WHERE user_id = ?1) AS totalLikes,
  (SELECT COUNT(*) FROM works WHERE user_id = ?1 AND created_at >= ?2) AS monthlyWorks,
  (SELECT COUNT(*) FROM work_views v JOIN works w ON w.id = v.work_id WHERE w.user_id = ?1 AND v.created_at >= ?3) AS weeklyViews,
  (SELECT COUNT(*) FROM follows WHERE followee_id = ?1) AS followersCount,
  (SELECT COUNT(*) FROM follows WHERE follower_id = ?1) AS followingCount`

/** The account side (tasks and credits, read only), bound at `?1` like the works side. */
const ACCOUNT_STATS_COLUMNS = `
  (SELECT COUNT(*) FROM tasks WHERE user_id = ?1) AS tasks,
  (SELECT COALESCE(-SUM(amount), 0) FROM credit_ledger WHERE user_id = ?1 AND reason IN ('task_charge', 'task_refund')) AS creditsSpent`

/** Start of the current calendar month in UTC, and of the last 7 days, for `WORK_STATS_COLUMNS`. */
export function workStatsParams(now: number): [monthStart: number, weekStart: number] {
  const d = new Date(now)
  return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), now - WEEK_MS]
}

type StatsRow = Omit<UserStats, 'works' | 'views' | 'likes'>

/**
 * Every statistic of `GET /api/users/stats` and `GET /api/stats/user` in one statement (one D1
 * round trip). `monthlyWorks` counts works created since the 1st of this month, 00:00 UTC;
 * `weeklyViews` counts view rows (one per viewer per work per day) of the last 7 × 24 hours.
 */
export async function readUserStats(d1: D1Database, userId: string, now = Date.now()): Promise<UserStats> {
  const row = await d1
    .prepare(`SELECT ${WORK_STATS_COLUMNS}, ${ACCOUNT_STATS_COLUMNS}`)
    .bind(userId, ...workStatsParams(now))
    .first<StatsRow>()
  const s: StatsRow = row ?? {
    totalWorks: 0,
    publicWorks: 0,
    totalViews: 0,
    totalLikes: 0,
    monthlyWorks: 0,
    weeklyViews: 0,
    followersCount: 0,
    followingCount: 0,
    tasks: 0,
    creditsSpent: 0,
  }
  return { ...s, works: s.totalWorks, views: s.totalViews, likes: s.totalLikes }
}
