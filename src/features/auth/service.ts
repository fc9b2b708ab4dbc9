import { eq, sql } from 'drizzle-orm'
import { users, type User } from '../../db/schema'
import { signupCredits, signupLedgerInsert } from '../credits/service'
import type { Db } from '../../env'
import { accountDisabled, badRequest, forbidden, invalidCredentials, userExists } from '../../lib/errors'
import { newId } from '../../lib/ids'
import { requireSecret } from '../../lib/locality'
import { networkOf } from '../../lib/network'
import { burnPasswordCheck, hashPassword, verifyPassword } from '../../lib/passwords'
import { hitRateLimits, RATE_LIMITS } from '../../lib/rate-limit'
import { type AvatarUpload, deleteAvatarObject, readAvatar, storeAvatar } from './avatar'
import { openAttempt, recordFailure, recordSuccess } from './login-guard'
import type { LoginInput, RegisterInput } from './schemas'
import { revokeOtherSessions, startSession } from './sessions'
import { exchangeWechatCode, findOrCreateWechatUser } from './wechat'

/** Who is calling, as the sign-in routes see it. */
export interface ClientInfo {
  ip: string
  userAgent?: string | undefined
}

/** The account with this id, if it still exists. */
export function findAccount(db: Db, userId: string): Promise<User | undefined> {
  return db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, userId) })
}

/** Finds a user by username or email, case-insensitively. */
export async function findUserByLogin(db: Db, login: string): Promise<User | undefined> {
  const needle = login.trim().toLowerCase()
  return db.query.users.findFirst({
    where: (u) => sql`lower(${u.username}) = ${needle} OR lower(${u.email}) = ${needle}`,
  })
}

/** 409 USER_EXISTS when the username or email is taken by someone other than `exceptId`. */
export async function assertIdentityFree(
  db: Db,
  identity: { username?: string | undefined; email?: string | undefined },
  exceptId?: string,
) {
  const checks: Array<['username' | 'email', string]> = []
  if (identity.username) checks.push(['username', identity.username.toLowerCase()])
  if (identity.email) checks.push(['email', identity.email.toLowerCase()])
  for (const [field, value] of checks) {
    const column = field === 'username' ? users.username : users.email
    const taken = await db.query.users.findFirst({
      where: () => sql`lower(${column}) = ${value}${exceptId ? sql` AND ${users.id} != ${exceptId}` : sql``}`,
      columns: { id: true },
    })
    if (taken) throw userExists(`That ${field} is already registered`)
  }
}

export function isUniqueViolation(error: unknown) {
  return error instanceof Error && /UNIQUE constraint failed/i.test(`${error.message} ${String(error.cause ?? '')}`)
}

/**
 * Registration as the route takes it: counted against the per-network limit, the optional
 * avatar field checked (a form with no file chosen sends an empty file: that is "no avatar").
 */
export async function register(env: Env, db: Db, input: RegisterInput, avatarField: unknown, client: ClientInfo): Promise<User> {
  await hitRateLimits(env.DB, [[`register:ip:${networkOf(client.ip)}`, RATE_LIMITS.registerPerIp]])
  const noAvatar = avatarField === undefined || avatarField === '' || (avatarField instanceof File && avatarField.size === 0)
  const avatar = noAvatar ? undefined : await readAvatar(env, avatarField)
  return registerUser(env, db, input, avatar)
}

export async function registerUser(
  env: Env,
  db: Db,
  input: { username: string; email: string; password: string },
  avatar?: AvatarUpload,
): Promise<User> {
  await assertIdentityFree(db, input)
  const id = newId('usr')
  const now = new Date()
  const stored = avatar ? await storeAvatar(env, id, avatar) : null
  const credits = await signupCredits(env)
  try {
    const [[user]] = await db.batch([
      db
        .insert(users)
        .values({
          id,
          username: input.username,
          email: input.email.toLowerCase(),
          passwordHash: await hashPassword(input.password),
          credits,
          avatarKey: stored?.avatarKey ?? null,
          avatarUrl: stored?.avatarUrl ?? null,
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
      signupLedgerInsert(db, id, credits, now),
    ])
    return user!
  } catch (error) {
    // Never leave an avatar behind for an account that was not created.
    if (stored) await deleteAvatarObject(env, stored)
    // Two registrations raced past the check above: the unique index decides.
    if (isUniqueViolation(error)) throw userExists()
    throw error
  }
}

/**
 * Checks a login and password under the guessing protection of login-guard.ts (per account and
 * network backoff, known networks, per-network limit). Unknown logins take the same time and
 * get the same answers as known ones.
 */
export async function checkCredentials(
  env: Env,
  db: Db,
  login: string,
  password: string,
  opts: { ip: string; adminOnly?: boolean; user?: User | undefined },
): Promise<User> {
  const user = 'user' in opts ? opts.user : await findUserByLogin(db, login)
  const attempt = await openAttempt(env, user ?? null, login, opts.ip)
  if (!user || !user.passwordHash) {
    await burnPasswordCheck(password)
    throw await recordFailure(env, attempt)
  }
  const check = await verifyPassword(password, user.passwordHash)
  if (!check.valid) throw await recordFailure(env, attempt)
  // The right password proves this network, admin or not.
  await recordSuccess(env, attempt)
  // Only the right password learns that the account is disabled (nobody else can probe for it).
  if (user.disabledAt) throw accountDisabled()
  if (opts.adminOnly && user.role !== 'admin') throw forbidden('This account is not an administrator')

  const [updated] = await db
    .update(users)
    .set({
      lastLoginAt: new Date(attempt.now),
      ...(check.needsRehash ? { passwordHash: await hashPassword(password) } : {}),
    })
    .where(eq(users.id, user.id))
    .returning()
  return updated ?? user
}

/**
 * Checks the current password of a signed-in user (password change) with the same counters as
 * sign-in: a stolen access token gets no more guesses than the login form.
 */
export async function checkCurrentPassword(env: Env, user: User, password: string, ip: string): Promise<void> {
  const attempt = await openAttempt(env, user, user.username, ip)
  const check = user.passwordHash ? await verifyPassword(password, user.passwordHash) : { valid: false }
  if (!check.valid) {
    const error = await recordFailure(env, attempt)
    throw error.code === 'INVALID_CREDENTIALS' ? invalidCredentials('Current password is wrong') : error
  }
  await recordSuccess(env, attempt)
}

/** Password sign-in (`adminOnly`: the admin console's), answering the new session's tokens. */
export async function signIn(env: Env, db: Db, body: LoginInput, client: ClientInfo & { adminOnly: boolean }) {
  const login = (body.login ?? body.username ?? body.email ?? '').trim()
  // Count per account, not per spelling: username and email of one account share a budget.
  const account = await findUserByLogin(db, login)
  const user = await checkCredentials(env, db, login, body.password, { adminOnly: client.adminOnly, user: account, ip: client.ip })
  return startSession(env, db, user, { rememberMe: body.rememberMe, userAgent: client.userAgent })
}

/** WeChat mini-program sign-in: the account of the code's openid, created on first use. */
export async function signInWithWechat(env: Env, db: Db, code: string, client: ClientInfo) {
  requireSecret(env, 'JWT_SECRET') // fail before creating anyone if tokens cannot be signed
  await hitRateLimits(env.DB, [[`login:ip:${networkOf(client.ip)}`, RATE_LIMITS.loginPerIp]])
  const openId = await exchangeWechatCode(env, code)
  const { user, created } = await findOrCreateWechatUser(env, db, openId)
  if (user.disabledAt) throw accountDisabled()
  const tokens = await startSession(env, db, user, { rememberMe: true, userAgent: client.userAgent })
  return { ...tokens, isNewUser: created }
}

/**
 * A signed-in user's password change: the current password is checked under the sign-in
 * guessing protection, then every other session of the account is revoked (this one stays).
 */
export async function changePassword(
  env: Env,
  db: Db,
  user: User,
  change: { currentPassword: string; newPassword: string; keepSessionId: string; ip: string },
): Promise<void> {
  if (!user.passwordHash) throw badRequest('This account signs in with WeChat and has no password')
  await checkCurrentPassword(env, user, change.currentPassword, change.ip)
  await db.update(users).set({ passwordHash: await hashPassword(change.newPassword), updatedAt: new Date() }).where(eq(users.id, user.id))
  await revokeOtherSessions(env, db, user.id, change.keepSessionId, 'password_changed')
}
