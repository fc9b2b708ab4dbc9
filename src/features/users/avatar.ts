import type { User } from '../../db/schema'
import { ApiError, badRequest, invalidImage, payloadTooLarge, unsupportedMediaType } from '../../lib/errors'
import { EXTENSION_BY_MIME, sniffImageMime } from '../../lib/media'
import { storageKeys } from '../../lib/storage-keys'

export const AVATAR_MAX_BYTES = 2 * 1024 * 1024
const AVATAR_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp'])
const AVATAR_MAX_SIDE = 8000

export interface AvatarUpload {
  bytes: Uint8Array
  mime: 'image/jpeg' | 'image/png' | 'image/webp'
}

/**
 * Checks an uploaded avatar: a file, at most 2 MB, JPEG/PNG/WebP by its bytes (not its name
 * or declared type), and decodable with sane dimensions.
 */
export async function readAvatar(env: Env, value: unknown): Promise<AvatarUpload> {
  if (!(value instanceof File)) throw badRequest('avatar must be a file field')
  if (value.size === 0) throw badRequest('avatar is empty')
  if (value.size > AVATAR_MAX_BYTES) throw payloadTooLarge('Avatar is larger than 2 MB')
  const bytes = new Uint8Array(await value.arrayBuffer())
  const mime = sniffImageMime(bytes)
  if (!mime || !AVATAR_TYPES.has(mime)) {
    throw unsupportedMediaType('Avatar must be a JPEG, PNG or WebP image')
  }
  if (value.type && value.type !== 'application/octet-stream' && value.type !== mime) {
    throw unsupportedMediaType(`Avatar is ${mime} but was declared as ${value.type}`)
  }
  try {
    const info = await env.IMAGES.info(new Blob([bytes]).stream())
    if (!('width' in info) || info.width > AVATAR_MAX_SIDE || info.height > AVATAR_MAX_SIDE) {
      throw invalidImage(`Avatar must be at most ${AVATAR_MAX_SIDE} pixels a side`)
    }
  } catch (error) {
    if (error instanceof ApiError) throw error
    throw invalidImage('Avatar could not be decoded as an image')
  }
  return { bytes, mime: mime as AvatarUpload['mime'] }
}

/** Stores the avatar in R2 and returns the columns to save on the user. */
export async function storeAvatar(env: Env, userId: string, avatar: AvatarUpload) {
  const version = crypto.randomUUID().slice(0, 8)
  const key = storageKeys.avatar(userId, version, EXTENSION_BY_MIME[avatar.mime])
  await env.MEDIA.put(key, avatar.bytes, {
    httpMetadata: { contentType: avatar.mime, cacheControl: 'public, max-age=31536000, immutable' },
  })
  return { avatarKey: key, avatarUrl: `/api/users/${userId}/avatar?v=${version}` }
}

/** Removes a previous avatar object once the user row no longer points at it. */
export async function deleteAvatarObject(env: Env, user: Pick<User, 'avatarKey'>) {
  if (user.avatarKey) await env.MEDIA.delete(user.avatarKey)
}
