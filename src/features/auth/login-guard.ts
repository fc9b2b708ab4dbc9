import { accountLocked, ApiError, invalidCredentials, rateLimited } from '../../lib/errors'
import { sha256Hex } from '../../lib/ids'
import { countStatement, hitRateLimits, hitStatement, RATE_LIMITS, type RateLimitRule, windowStartOf } from '../../lib/rate-limit'
import { publishToUser } from '../hub/service'
import { networkHash, networkOf } from './networks'

/**
 * Password-guessing protection shared by login, admin login and password change (one budget).
 *
 * - Per (account, network): FREE_FAILURES consecutive failures, then exponential backoff
 *   (BASE_DELAY doubling, capped at MAX_DELAY) answered 429 with Retry-After; from LOCK_AFTER
 *   failures the same block answers 423 ACCOUNT_LOCKED. Blocks only that pair and never last
 *   longer than MAX_DELAY; a success from that network, or a quiet day, resets it.
 * - A network where the account signed in successfully within KNOWN_NETWORK_DAYS is known: it
 *   is unaffected by failures from anywhere else.
 * - Account-wide failures in ATTACK_WINDOW: from ATTACK_THRESHOLD on, the account is under
 *   attack and unknown networks get no free failures and share UNKNOWN_UNDER_ATTACK attempts a
 *   minute (a stranger's right password may wait up to a minute, never longer).
 * - Per network across accounts: RATE_LIMITS.loginPerIp (credential stuffing).
 * - The owner hears about bursts: `security.login_failures` on their sockets, coalesced.
 */
export const LOGIN_POLICY = {
  freeFailures: 3,
  baseDelayMs: 30_000,
  maxDelayMs: 15 * 60_000,
  lockAfter: 10,
  resetAfterMs: 86_400_000,
  knownNetworkDays: 60,
  attackWindow: { limit: 20, windowSeconds: 900 } satisfies RateLimitRule,
  unknownUnderAttack: { limit: 10, windowSeconds: 60 } satisfies RateLimitRule,
  /** Account-wide failure counts (per attack window) at which the owner is told. */
  alertAt: (failures: number) => failures === 5 || failures === 20 || failures % 100 === 0,
}

export interface LoginAttempt {
  /** The account's id, or `login:<hash>` for a login that matches no account (same treatment). */
  subject: string
  userId: string | null
  networkHash: string
  known: boolean
  underAttack: boolean
  now: number
}

interface NetworkRow {
  failures: number
  blockedUntil: number | null
  lastFailureAt: number | null
  lastSuccessAt: number | null
}

function blockedError(failures: number, until: number, now: number): ApiError {
  const seconds = Math.max(1, Math.ceil((until - now) / 1000))
  if (failures >= LOGIN_POLICY.lockAfter) {
    return accountLocked(
      `Too many failed sign-ins for this account from your network; try again in ${Math.ceil(seconds / 60)} minutes`,
      new Date(until),
      seconds,
    )
  }
  return rateLimited(seconds, `Too many failed sign-ins from your network; try again in ${seconds} seconds`)
}

/**
 * Before a password is checked: counts the attempt against the network's cross-account limit
 * and refuses it (429/423) while this account+network is in backoff, without checking the
 * password. `account` is the user the login names, or null.
 */
export async function openAttempt(env: Env, account: { id: string } | null, login: string, ip: string): Promise<LoginAttempt> {
  const now = Date.now()
  const network = networkOf(ip)
  await hitRateLimits(env.DB, [[`login:ip:${network}`, RATE_LIMITS.loginPerIp]], now)
  const subject = account ? account.id : `login:${(await sha256Hex(login.trim().toLowerCase())).slice(0, 32)}`
  const hash = await networkHash(env, network)
  const [rowResult, attackResult] = await env.DB.batch<NetworkRow | { count: number }>([
    env.DB.prepare(
      `SELECT failures, blocked_until AS blockedUntil, last_failure_at AS lastFailureAt, last_success_at AS lastSuccessAt
         FROM login_networks WHERE subject = ?1 AND network_hash = ?2`,
    ).bind(subject, hash),
    // Counted FIRST (a right password takes it back in recordSuccess): a burst of parallel guesses
    // from many networks cannot all read "not under attack" before any of them is counted.
    hitStatement(env.DB, `login:fail:${subject}`, LOGIN_POLICY.attackWindow, now),
  ])
  const row = rowResult?.results[0] as NetworkRow | undefined
  const accountFailures = ((attackResult?.results[0] as { count: number } | undefined)?.count ?? 1) - 1
  const known = account !== null && row?.lastSuccessAt != null && row.lastSuccessAt > now - LOGIN_POLICY.knownNetworkDays * 86_400_000
  if (row?.blockedUntil != null && row.blockedUntil > now) throw blockedError(row.failures, row.blockedUntil, now)
  const underAttack = !known && accountFailures >= LOGIN_POLICY.attackWindow.limit
  if (underAttack) await hitRateLimits(env.DB, [[`login:unknown-networks:${subject}`, LOGIN_POLICY.unknownUnderAttack]], now)
  return { subject, userId: account?.id ?? null, networkHash: hash, known, underAttack, now }
}

/**
 * A wrong password: one atomic step counts it for the account+network (and starts or doubles
 * its backoff) and account-wide. Answers the error to throw: 401, or 423 when this failure
 * reached LOCK_AFTER. Tells the owner, coalesced, when failures pile up.
 */
export async function recordFailure(env: Env, attempt: LoginAttempt): Promise<ApiError> {
  const { now } = attempt
  const free = attempt.underAttack ? 0 : LOGIN_POLICY.freeFailures
  // Consecutive failures, forgotten after a quiet day.
  const next = `(CASE WHEN login_networks.last_failure_at < ${now - LOGIN_POLICY.resetAfterMs} THEN 0 ELSE login_networks.failures END + 1)`
  const delay = `MIN(${LOGIN_POLICY.maxDelayMs}, ${LOGIN_POLICY.baseDelayMs} * (1 << MIN(${next} - ?4 - 1, 20)))`
  const firstBlock = free === 0 ? now + LOGIN_POLICY.baseDelayMs : null
  const [networkResult, accountResult] = await env.DB.batch<{ failures: number; blockedUntil: number | null; count: number }>([
    env.DB.prepare(
      `INSERT INTO login_networks (subject, network_hash, failures, blocked_until, last_failure_at)
       VALUES (?1, ?2, 1, ?5, ?3)
       ON CONFLICT (subject, network_hash) DO UPDATE SET
         failures = ${next},
         blocked_until = CASE WHEN ${next} > ?4 THEN ?3 + ${delay} ELSE login_networks.blocked_until END,
         last_failure_at = ?3
       RETURNING failures, blocked_until AS blockedUntil`,
    ).bind(attempt.subject, attempt.networkHash, now, free, firstBlock),
    countStatement(env.DB, `login:fail:${attempt.subject}`, LOGIN_POLICY.attackWindow, now),
  ])
  const row = networkResult?.results[0]
  const accountFailures = accountResult?.results[0]?.count ?? 0
  if (attempt.userId && LOGIN_POLICY.alertAt(accountFailures)) {
    await publishToUser(env, attempt.userId, {
      type: 'security.login_failures',
      data: {
        failedAttempts: accountFailures,
        windowMinutes: LOGIN_POLICY.attackWindow.windowSeconds / 60,
        throttled: accountFailures >= LOGIN_POLICY.attackWindow.limit,
      },
    })
  }
  if (row && row.failures >= LOGIN_POLICY.lockAfter && row.blockedUntil !== null) return blockedError(row.failures, row.blockedUntil, now)
  return invalidCredentials()
}

/** The right password: this network is now known for the account, and its failures are cleared. */
export async function recordSuccess(env: Env, attempt: LoginAttempt): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO login_networks (subject, network_hash, failures, last_success_at) VALUES (?1, ?2, 0, ?3)
       ON CONFLICT (subject, network_hash) DO UPDATE SET failures = 0, blocked_until = NULL, last_success_at = ?3`,
    ).bind(attempt.subject, attempt.networkHash, attempt.now),
    // The attempt was counted as a possible failure when it opened: it was not one.
    env.DB.prepare('UPDATE rate_limits SET count = count - 1 WHERE key = ?1 AND window_start = ?2 AND count > 0').bind(
      `login:fail:${attempt.subject}`,
      windowStartOf(LOGIN_POLICY.attackWindow, attempt.now),
    ),
  ])
}

/** Deletes rows with no activity for longer than a known network lasts (cron sweep). */
export async function pruneLoginNetworks(d1: D1Database, now = Date.now()): Promise<void> {
  const cutoff = now - LOGIN_POLICY.knownNetworkDays * 86_400_000
  await d1
    // Known networks are kept for their window; networks that only ever failed (often made-up
    // accounts) go after a quiet day, so the table cannot grow without bound.
    .prepare(
      `DELETE FROM login_networks WHERE MAX(COALESCE(last_failure_at, 0), COALESCE(last_success_at, 0)) < ?1
          OR (last_success_at IS NULL AND COALESCE(last_failure_at, 0) < ?2)`,
    )
    .bind(cutoff, now - 86_400_000)
    .run()
}
