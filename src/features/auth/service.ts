import { eq, sql } from 'drizzle-orm'
import { creditLedger, users, type User } from '../../db/schema'
import { signupCredits, signupLedgerRow } from '../credits/service'
import type { Db } from '../../env'
import { ApiError, conflict, forbidden, invalidCredentials } from '../../lib/errors'
import { newId } from '../../lib/ids'
import { burnPasswordCheck, hashPassword, verifyPassword } from '../../lib/passwords'
import { type AvatarUpload, deleteAvatarObject, storeAvatar } from '../users/avatar'

export const LOCKOUT_THRESHOLD = 10
export const LOCKOUT_MINUTES = 15

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
    if (taken) throw conflict(`That ${field} is already registered`, 'USER_EXISTS')
  }
}

export function isUniqueViolation(error: unknown) {
  return error instanceof Error && /UNIQUE constraint failed/i.test(`${error.message} ${String(error.cause ?? '')}`)
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
  const credits = signupCredits(env)
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
      db.insert(creditLedger).values(signupLedgerRow(id, credits, now)),
    ])
    return user!
  } catch (error) {
    // Never leave an avatar behind for an account that was not created.
    if (stored) await deleteAvatarObject(env, stored)
    // Two registrations raced past the check above: the unique index decides.
    if (isUniqueViolation(error)) throw conflict('That username or email is already registered', 'USER_EXISTS')
    throw error
  }
}

function lockedError(until: Date) {
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000))
  return new ApiError(
    423,
    'ACCOUNT_LOCKED',
    `Account locked after ${LOCKOUT_THRESHOLD} failed sign-ins; try again in ${Math.ceil(seconds / 60)} minutes`,
    { lockedUntil: until.toISOString() },
    { 'Retry-After': String(seconds) },
  )
}

/**
 * Checks a login and password. Failures count towards a lock of LOCKOUT_MINUTES after
 * LOCKOUT_THRESHOLD consecutive failures; a success resets the count. Unknown logins take the
 * same time as known ones.
 */
export async function checkCredentials(
  db: Db,
  login: string,
  password: string,
  opts: { adminOnly?: boolean; user?: User | undefined } = {},
): Promise<User> {
  const user = 'user' in opts ? opts.user : await findUserByLogin(db, login)
  if (!user || !user.passwordHash) {
    await burnPasswordCheck(password)
    throw invalidCredentials()
  }
  const now = Date.now()
  if (user.lockedUntil && user.lockedUntil.getTime() > now) throw lockedError(user.lockedUntil)

  const check = await verifyPassword(password, user.passwordHash)
  if (!check.valid) {
    const lockUntil = now + LOCKOUT_MINUTES * 60_000
    // Atomic: concurrent failures each count, and the one that reaches the threshold locks.
    const [after] = await db
      .update(users)
      .set({
        failedLogins: sql`CASE WHEN ${users.failedLogins} + 1 >= ${LOCKOUT_THRESHOLD} THEN 0 ELSE ${users.failedLogins} + 1 END`,
        lockedUntil: sql`CASE WHEN ${users.failedLogins} + 1 >= ${LOCKOUT_THRESHOLD} THEN ${lockUntil} ELSE ${users.lockedUntil} END`,
      })
      .where(eq(users.id, user.id))
      .returning({ lockedUntil: users.lockedUntil })
    if (after?.lockedUntil && after.lockedUntil.getTime() > now) throw lockedError(after.lockedUntil)
    throw invalidCredentials()
  }
  if (opts.adminOnly && user.role !== 'admin') throw forbidden('This account is not an administrator')

  const [updated] = await db
    .update(users)
    .set({
      failedLogins: 0,
      lockedUntil: null,
      lastLoginAt: new Date(now),
      ...(check.needsRehash ? { passwordHash: await hashPassword(password) } : {}),
    })
    .where(eq(users.id, user.id))
    .returning()
  return updated ?? user
}
