import type { User } from '../../db/schema'
import { ApiError, badRequest, invalidImage, payloadTooLarge, unsupportedMediaType } from '../../lib/errors'
import { EXTENSION_BY_MIME, headerDimensions, sniffImageMime } from '../../lib/media'
import { storageKeys } from '../../lib/storage-keys'
import { checkDeclaredType } from '../images/pipeline'

export const AVATAR_MAX_BYTES = 2 * 1024 * 1024
const AVATAR_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp'])
const AVATAR_MAX_SIDE = 8000

/** Avatars are stored as a 512 px WebP rendition: decoded (so a broken file is refused), upright, no metadata (no GPS in a public picture). */
export interface AvatarUpload {
  bytes: Uint8Array
  mime: 'image/webp'
}
const AVATAR_SIDE = 512

/**
 * Checks an uploaded avatar: a file, at most 2 MB, JPEG/PNG/WebP by its bytes (not its name
 * or an image type it declares: the same rule as every upload), and decodable with sane dimensions.
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
  checkDeclaredType(value.type || null, mime)
  const declared = headerDimensions(bytes, mime)
  if (declared && (declared.width > AVATAR_MAX_SIDE || declared.height > AVATAR_MAX_SIDE)) {
    throw invalidImage(`Avatar must be at most ${AVATAR_MAX_SIDE} pixels a side`)
  }
  try {
    const info = await env.IMAGES.info(value.stream())
    if (!('width' in info) || info.width > AVATAR_MAX_SIDE || info.height > AVATAR_MAX_SIDE) {
      throw invalidImage(`Avatar must be at most ${AVATAR_MAX_SIDE} pixels a side`)
    }
    const rendition = await env.IMAGES.input(value.stream())
      .transform({ width: AVATAR_SIDE, height: AVATAR_SIDE, fit: 'scale-down' })
      .output({ format: 'image/webp', quality: 85 })
    return { bytes: new Uint8Array(await new Response(rendition.image()).arrayBuffer()), mime: 'image/webp' }
  } catch (error) {
    if (error instanceof ApiError) throw error
    throw invalidImage('Avatar could not be decoded as an image')
  }
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
