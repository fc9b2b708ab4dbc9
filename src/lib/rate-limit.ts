import { rateLimited } from './errors'

export interface RateLimitRule {
  /** How many hits a key may make per window. */
  limit: number
  windowSeconds: number
}

export const RATE_LIMITS = {
  loginPerIp: { limit: 5, windowSeconds: 60 },
  registerPerIp: { limit: 3, windowSeconds: 3600 },
  /** Comments on works, per user: a burst limit and a daily budget. */
  commentsPerUserMinute: { limit: 10, windowSeconds: 60 },
  commentsPerUserDay: { limit: 200, windowSeconds: 86_400 },
  /** `POST /api/tasks?wait=` holds a request open: waits started per user a minute (beyond: answered at once). */
  taskWaitsPerUserMinute: { limit: 20, windowSeconds: 60 },
  /** Likes and unlikes per user. */
  likesPerUserMinute: { limit: 60, windowSeconds: 60 },
  likesPerUserDay: { limit: 1_000, windowSeconds: 86_400 },
  /** Follows and unfollows per user. */
  followsPerUserMinute: { limit: 30, windowSeconds: 60 },
  followsPerUserDay: { limit: 300, windowSeconds: 86_400 },
  /** Recharges per user (each one calls WeChat Pay or Stripe); Idempotency-Key replays are not counted. */
  rechargesPerUserMinute: { limit: 10, windowSeconds: 60 },
  rechargesPerUserHour: { limit: 60, windowSeconds: 3600 },
  /** AI editor: chat sessions created per user (a burst limit and a daily budget). */
  chatSessionsPerUserMinute: { limit: 10, windowSeconds: 60 },
  chatSessionsPerUserDay: { limit: 200, windowSeconds: 86_400 },
  /** AI editor: messages posted or edited per user. */
  chatMessagesPerUserMinute: { limit: 30, windowSeconds: 60 },
  chatMessagesPerUserDay: { limit: 2_000, windowSeconds: 86_400 },
  /** AI editor: session searches per user (each reads the search index). */
  chatSearchesPerUserMinute: { limit: 60, windowSeconds: 60 },
} satisfies Record<string, RateLimitRule>

const UPSERT = `
  INSERT INTO rate_limits (key, window_start, count) VALUES (?1, ?2, 1)
  ON CONFLICT(key) DO UPDATE SET
    count = CASE WHEN rate_limits.window_start = excluded.window_start THEN rate_limits.count + 1 ELSE 1 END,
    window_start = excluded.window_start
  RETURNING count, window_start AS windowStart`

/**
 * Counts one hit for each `[key, rule]` in its current fixed window: one D1 round trip,
 * atomic upserts. Throws 429 RATE_LIMITED with the longest Retry-After when any key is over.
 */
export async function hitRateLimits(
  d1: D1Database,
  hits: ReadonlyArray<readonly [key: string, rule: RateLimitRule]>,
  now = Date.now(),
): Promise<void> {
  const windows = hits.map(([, rule]) => {
    const windowMs = rule.windowSeconds * 1000
    return { windowMs, start: Math.floor(now / windowMs) * windowMs }
  })
  const results = await d1.batch<{ count: number; windowStart: number }>(
    hits.map(([key], i) => d1.prepare(UPSERT).bind(key, windows[i]!.start)),
  )
  let retryAfter = 0
  results.forEach((result, i) => {
    const row = result.results[0]
    const [, rule] = hits[i]!
    if (row && row.count > rule.limit) {
      const wait = Math.ceil((row.windowStart + windows[i]!.windowMs - now) / 1000)
      retryAfter = Math.max(retryAfter, wait, 1)
    }
  })
  if (retryAfter > 0) throw rateLimited(retryAfter)
}

/** Start (ms) of the fixed window of `rule` that `now` falls in. */
export function windowStartOf(rule: RateLimitRule, now: number): number {
  const windowMs = rule.windowSeconds * 1000
  return Math.floor(now / windowMs) * windowMs
}

/** A statement counting one hit of `key` in its current window, `RETURNING count`: for callers that batch it. */
export function hitStatement(d1: D1Database, key: string, rule: RateLimitRule, now: number): D1PreparedStatement {
  return d1.prepare(UPSERT).bind(key, windowStartOf(rule, now))
}

/** Hits of `key` in its current window so far, without counting one. */
export function countStatement(d1: D1Database, key: string, rule: RateLimitRule, now: number): D1PreparedStatement {
  return d1.prepare('SELECT count FROM rate_limits WHERE key = ?1 AND window_start = ?2').bind(key, windowStartOf(rule, now))
}

/** Removes windows that ended long ago (run from the cron sweep). */
export async function pruneRateLimits(d1: D1Database, now = Date.now()): Promise<void> {
  // The longest window is one day (comments per user): a window that started over a day ago has ended.
  await d1.prepare('DELETE FROM rate_limits WHERE window_start < ?').bind(now - 86_400_000).run()
}


/** One counted hit: whether it went over, and how to take it back. */
export interface CountedHit {
  key: string
  windowStart: number
  count: number
  over: boolean
  /** The hit that made the count exceed the limit (it happens once per window). */
  crossed: boolean
  retryAfter: number
}

/**
 * Counts one hit per key FIRST, atomically (one batch of upserts), and reports each result
 * without throwing, so parallel attempts can never all slip past a check that reads before it
 * counts. Pair with `undoHits` for limits that only count failures: count, try, undo on success.
 */
export async function countHits(
  d1: D1Database,
  hits: ReadonlyArray<readonly [key: string, rule: RateLimitRule]>,
  now = Date.now(),
): Promise<CountedHit[]> {
  const windows = hits.map(([, rule]) => {
    const windowMs = rule.windowSeconds * 1000
    return { windowMs, start: Math.floor(now / windowMs) * windowMs }
  })
  const results = await d1.batch<{ count: number; windowStart: number }>(
    hits.map(([key], i) => d1.prepare(UPSERT).bind(key, windows[i]!.start)),
  )
  return results.map((result, i) => {
    const [key, rule] = hits[i]!
    const row = result.results[0]
    const count = row?.count ?? 1
    const windowStart = row?.windowStart ?? windows[i]!.start
    return {
      key,
      windowStart,
      count,
      over: count > rule.limit,
      crossed: count === rule.limit + 1,
      retryAfter: Math.max(1, Math.ceil((windowStart + windows[i]!.windowMs - now) / 1000)),
    }
  })
}

/** Takes back hits counted by `countHits` (an attempt that turned out not to count). */
export async function undoHits(d1: D1Database, hits: readonly CountedHit[]): Promise<void> {
  if (hits.length === 0) return
  await d1.batch(
    hits.map((hit) =>
      d1.prepare('UPDATE rate_limits SET count = count - 1 WHERE key = ?1 AND window_start = ?2 AND count > 0').bind(hit.key, hit.windowStart),
    ),
  )
}
