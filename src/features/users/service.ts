import { eq } from 'drizzle-orm'
import { users, type User } from '../../db/schema'
import type { Db } from '../../env'
import { notFound, userExists } from '../../lib/errors'
import { deleteAvatarObject, readAvatar, storeAvatar } from '../auth/avatar'
import { assertIdentityFree, changePassword, findAccount, isUniqueViolation } from '../auth/service'
import { readUserStats } from '../works/social/stats'
import type { ProfileChanges, UserStats } from './schemas'

/** The signed-in user's own account row, or 404. */
export async function getProfile(db: Db, userId: string): Promise<User> {
  const user = await findAccount(db, userId)
  if (!user) throw notFound('User')
  return user
}

const blankToNull = (v: string | null | undefined) => (v === undefined ? undefined : v === '' ? null : v)

/**
 * Applies the fields sent (blank clears). A new username or email must be free; setting
 * `avatarUrl` drops a stored avatar, whose file goes once the row no longer points at it.
 */
export async function updateProfile(env: Env, db: Db, userId: string, body: ProfileChanges): Promise<User> {
  const current = await getProfile(db, userId)
  await assertIdentityFree(db, { username: body.username, email: body.email }, current.id)
  const avatarUrl = blankToNull(body.avatarUrl)
  const replacesStoredAvatar = avatarUrl !== undefined && current.avatarKey !== null
  const [user] = await db
    .update(users)
    .set({
      username: body.username,
      email: body.email?.toLowerCase(),
      bio: blankToNull(body.bio),
      website: blankToNull(body.website),
      location: blankToNull(body.location),
      avatarUrl,
      ...(replacesStoredAvatar ? { avatarKey: null } : {}),
      updatedAt: new Date(),
    })
    .where(eq(users.id, current.id))
    .returning()
    .catch((error: unknown) => {
      // Taken by someone else between the check above and this write: the index decides.
      if (isUniqueViolation(error)) throw userExists()
      throw error
    })
  if (replacesStoredAvatar) await deleteAvatarObject(env, current)
  return user!
}

/** Password change of the signed-in user (auth checks and stores it, and ends the other sessions). */
export async function changeOwnPassword(
  env: Env,
  db: Db,
  userId: string,
  change: { currentPassword: string; newPassword: string; keepSessionId: string; ip: string },
): Promise<void> {
  await changePassword(env, db, await getProfile(db, userId), change)
}

/** Checks and stores a new avatar file, then removes the previous one. */
export async function replaceAvatar(env: Env, db: Db, userId: string, field: unknown): Promise<User> {
  const avatar = await readAvatar(env, field)
  const current = await getProfile(db, userId)
  const stored = await storeAvatar(env, current.id, avatar)
  const [user] = await db.update(users).set({ ...stored, updatedAt: new Date() }).where(eq(users.id, current.id)).returning()
  await deleteAvatarObject(env, current)
  return user!
}

/** The R2 key of a user's stored avatar, or 404. */
export async function avatarKeyOf(db: Db, userId: string): Promise<string> {
  const user = await db.query.users.findFirst({ where: (u, { eq }) => eq(u.id, userId), columns: { avatarKey: true } })
  if (!user?.avatarKey) throw notFound('Avatar')
  return user.avatarKey
}

/** Usage counts for one user, in one D1 round trip (the works feature reads them: works, views, likes, follows). */
export async function userStats(env: Env, userId: string): Promise<UserStats> {
  return readUserStats(env.DB, userId)
}
