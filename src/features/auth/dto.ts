import type { User } from '../../db/schema'
import { iso } from '../../lib/openapi'

/** The user as the API shows it to its owner (never the password hash or lock state). */
export function toUserDto(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role,
    credits: user.credits,
    bio: user.bio,
    website: user.website,
    location: user.location,
    avatarUrl: user.avatarUrl,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
    lastLoginAt: iso(user.lastLoginAt),
  }
}
