import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { z } from '@hono/zod-openapi'
import { registerRoute } from '../../src/features/auth/routes'
import { getProfileRoute, updateProfileRoute, uploadAvatarRoute } from '../../src/features/users/routes'
import { call, callJson, countRows, dataOf, expectError, newUser, uniqueName } from '../helpers'
import { fixturePhoto, formWith, makePng } from '../support/images'

const MB2 = 2 * 1024 * 1024
// A 1x1 lossless WebP (RIFF....WEBPVP8L).
const TINY_WEBP = Uint8Array.from(atob('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=='), (c) => c.charCodeAt(0))
const TEXT = new TextEncoder().encode('I am a text file pretending to be a JPEG photo.')
const GIF = Uint8Array.from(atob('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=='), (c) => c.charCodeAt(0))

/** A valid PNG of exactly `size` bytes, padded with a private ancillary chunk decoders skip. */
async function pngOfSize(size: number) {
  const base = (await makePng(8, 8)).length
  return makePng(8, 8, { extraChunks: [['prVt', new Uint8Array(size - base - 12)]] })
}

const upload = (token: string, bytes: Uint8Array, name = 'me.png', type?: string) =>
  callJson('POST', '/api/users/avatar', formWith('avatar', [{ bytes, name, ...(type ? { type } : {}) }]), { token })

/** The avatarUrl of a user that was just given an avatar: a string. */
function avatarUrlOf(data: { user: { avatarUrl: string | null } }): string {
  const url = data.user.avatarUrl
  expect(url).toBeTypeOf('string')
  return String(url)
}

async function avatarObjects(userId: string) {
  return (await env.MEDIA.list({ prefix: `avatars/${userId}/` })).objects
}

describe('POST /api/users/avatar', () => {
  it('stores a PNG and serves it publicly at avatarUrl with its type, ETag and 304', async () => {
    const user = await newUser('av')
    const png = await makePng(64, 48)
    const res = await upload(user.accessToken, png, 'me.png', 'image/png')
    const url = avatarUrlOf(dataOf(res, uploadAvatarRoute, 200))
    expect(url).toMatch(new RegExp(`^/api/users/${user.id}/avatar\\?v=`))
    expect(dataOf(await callJson('GET', '/api/users/profile', undefined, { token: user.accessToken }), getProfileRoute, 200).user.avatarUrl).toBe(url)

    // Public: no token needed.
    const got = await call('GET', url)
    expect(got.status).toBe(200)
    // Stored as a WebP rendition (decoded, upright, metadata-free), not the uploaded bytes.
    expect(got.headers.get('Content-Type')).toBe('image/webp')
    expect(got.headers.get('Cache-Control')).toMatch(/immutable/)
    const served = new Uint8Array(await got.arrayBuffer())
    const info = await env.IMAGES.info(new Blob([served]).stream())
    expect('width' in info && [info.width, info.height]).toEqual([64, 48])
    const etag = got.headers.get('ETag')
    expect(etag).toMatch(/^"?[^"]+"?$/)

    const again = await call('GET', url, undefined, { headers: { 'If-None-Match': etag! } })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
    // A different ETag gets the bytes.
    expect((await call('GET', url, undefined, { headers: { 'If-None-Match': '"other"' } })).status).toBe(200)
  })

  it('accepts a real camera JPEG and a WebP; the served avatar carries no EXIF or GPS', async () => {
    const user = await newUser('av')
    // DSCN0010.jpg has GPS coordinates: a public avatar must not publish them.
    const jpeg = fixturePhoto('DSCN0010.jpg')
    const res = await upload(user.accessToken, jpeg, 'DSCN0010.jpg', 'image/jpeg')
    const got = await call('GET', avatarUrlOf(dataOf(res, uploadAvatarRoute, 200)))
    expect(got.headers.get('Content-Type')).toBe('image/webp')
    const served = new Uint8Array(await got.arrayBuffer())
    expect(String.fromCharCode(...served.subarray(0, 4096))).not.toMatch(/Exif|GPS|NIKON/)

    const webp = await upload(user.accessToken, TINY_WEBP, 'tiny.webp')
    expect((await call('GET', avatarUrlOf(dataOf(webp, uploadAvatarRoute, 200)))).headers.get('Content-Type')).toBe('image/webp')
  })

  it('replaces the previous avatar: a new URL, and the old object is deleted', async () => {
    const user = await newUser('av')
    const first = avatarUrlOf(dataOf(await upload(user.accessToken, await makePng(10, 10)), uploadAvatarRoute, 200))
    const second = avatarUrlOf(dataOf(await upload(user.accessToken, await makePng(20, 20)), uploadAvatarRoute, 200))
    expect(second).not.toBe(first)
    expect(await avatarObjects(user.id)).toHaveLength(1)
  })

  it('accepts exactly 2 MB and refuses one byte more with 413 PAYLOAD_TOO_LARGE', async () => {
    const user = await newUser('av')
    const exact = await pngOfSize(MB2)
    expect(exact.length).toBe(MB2)
    const ok = await upload(user.accessToken, exact)
    dataOf(ok, uploadAvatarRoute, 200)
    const tooBig = await upload(user.accessToken, await pngOfSize(MB2 + 1))
    expectError(tooBig, 413, 'PAYLOAD_TOO_LARGE')
  })

  it.each([
    ['a text file named .jpg', TEXT, 'photo.jpg', 'image/jpeg'],
    ['a text file without a declared type', TEXT, 'photo.jpg', undefined],
    ['a GIF (not an avatar format)', GIF, 'anim.gif', 'image/gif'],
  ])('415 UNSUPPORTED_MEDIA_TYPE for %s', async (_name, bytes, name, type) => {
    const user = await newUser('av')
    expectError(await upload(user.accessToken, bytes, name, type), 415, 'UNSUPPORTED_MEDIA_TYPE')
    expect(await avatarObjects(user.id)).toHaveLength(0)
  })

  it('the bytes decide: a PNG named .jpg is fine, a declared non-image type is 415', async () => {
    // Same rule as every upload: browsers and curl declare by file extension, so an image type
    // that disagrees is tolerated; a declared text or PDF type contradicts the bytes.
    const user = await newUser('av')
    const png = await makePng(8, 8)
    expect((await upload(user.accessToken, png, 'me.jpg', 'image/jpeg')).status).toBe(200)
    expect((await upload(user.accessToken, png, 'me.bin', 'application/octet-stream')).status).toBe(200)
    expectError(await upload(user.accessToken, png, 'me.txt', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE')
  })

  it('422 INVALID_IMAGE for bytes that look like an image but do not decode', async () => {
    const user = await newUser('av')
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919) % 251)
    garbage.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0)
    expectError(await upload(user.accessToken, garbage, 'broken.png'), 422, 'INVALID_IMAGE')
    const jpegHeaderOnly = new Uint8Array(64)
    jpegHeaderOnly.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00])
    expectError(await upload(user.accessToken, jpegHeaderOnly, 'broken.jpg'), 422, 'INVALID_IMAGE')
    expect(await avatarObjects(user.id)).toHaveLength(0)
  })

  it('422 INVALID_IMAGE for the truncated camera JPEG fixture', async () => {
    // corrupted.jpg has an intact header (3648x2736) but its image data ends early: a check
    // that reads only the header passes it, yet no decoder can show it. README: "must decode (422)".
    const user = await newUser('av')
    const res = await upload(user.accessToken, fixturePhoto('corrupted.jpg'), 'corrupted.jpg', 'image/jpeg')
    expectError(res, 422, 'INVALID_IMAGE')
    expect(await avatarObjects(user.id)).toHaveLength(0)
  })

  it('422 for an image over 8000 pixels a side', async () => {
    const user = await newUser('av')
    expectError(await upload(user.accessToken, await makePng(8001, 1)), 422, 'INVALID_IMAGE')
  })

  it('400 for a missing, empty or non-file avatar field, or a non-multipart body', async () => {
    const user = await newUser('av')
    expectError(await callJson('POST', '/api/users/avatar', new FormData(), { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    expectError(await upload(user.accessToken, new Uint8Array(0)), 400, 'VALIDATION_ERROR')
    const textField = new FormData()
    textField.append('avatar', 'https://example.com/me.png')
    expectError(await callJson('POST', '/api/users/avatar', textField, { token: user.accessToken }), 400, 'VALIDATION_ERROR')
    const asJson = await callJson('POST', '/api/users/avatar', { avatar: 'x' }, { token: user.accessToken })
    expect([400, 415]).toContain(asJson.status)
    expect(z.object({ success: z.boolean() }).parse(asJson.body).success).toBe(false)
  })

  it('keeps the current avatar when an upload is refused', async () => {
    const user = await newUser('av')
    const url = avatarUrlOf(dataOf(await upload(user.accessToken, await makePng(12, 12)), uploadAvatarRoute, 200))
    await upload(user.accessToken, TEXT, 'x.jpg')
    const profile = dataOf(await callJson('GET', '/api/users/profile', undefined, { token: user.accessToken }), getProfileRoute, 200).user
    expect(profile.avatarUrl).toBe(url)
    expect((await call('GET', url)).status).toBe(200)
  })

  it('drops the stored avatar when the profile points avatarUrl elsewhere', async () => {
    const user = await newUser('av')
    await upload(user.accessToken, await makePng(12, 12))
    const res = await callJson('PUT', '/api/users/profile', { avatarUrl: 'https://cdn.example.com/me.png' }, { token: user.accessToken })
    expect(dataOf(res, updateProfileRoute, 200).user.avatarUrl).toBe('https://cdn.example.com/me.png')
    expect(await avatarObjects(user.id)).toHaveLength(0)
    expectError(await callJson('GET', `/api/users/${user.id}/avatar`), 404, 'NOT_FOUND')
  })
})

describe('GET /api/users/:id/avatar', () => {
  it('404 NOT_FOUND JSON for an unknown user or a user without an avatar', async () => {
    expectError(await callJson('GET', '/api/users/usr_unknown/avatar'), 404, 'NOT_FOUND')
    const user = await newUser('av')
    expectError(await callJson('GET', `/api/users/${user.id}/avatar`), 404, 'NOT_FOUND')
  })
})

describe('register with a multipart avatar', () => {
  function registration(avatar?: { bytes: Uint8Array; name: string; type?: string }) {
    const username = uniqueName('regav')
    const fields = { username, email: `${username}@example.com`, password: 'secret-pass-1' }
    return { username, form: formWith('avatar', avatar ? [avatar] : [], fields) }
  }

  it('creates the account with the avatar, served at avatarUrl', async () => {
    const png = await makePng(32, 32)
    const { form } = registration({ bytes: png, name: 'me.png', type: 'image/png' })
    const res = await callJson('POST', '/api/auth/register', form)
    const got = await call('GET', avatarUrlOf(dataOf(res, registerRoute, 201)))
    expect(got.status).toBe(200)
    expect(got.headers.get('Content-Type')).toBe('image/webp')
    const info = await env.IMAGES.info(new Blob([new Uint8Array(await got.arrayBuffer())]).stream())
    expect('width' in info && [info.width, info.height]).toEqual([32, 32])
  })

  it.each([
    ['wrong magic bytes', () => ({ bytes: TEXT, name: 'me.jpg', type: 'image/jpeg' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['over 2 MB', async () => ({ bytes: await pngOfSize(MB2 + 1), name: 'big.png' }), 413, 'PAYLOAD_TOO_LARGE'],
    ['an undecodable image', () => ({ bytes: new Uint8Array(64).fill(7).fill(0xff, 0, 1).fill(0xd8, 1, 2).fill(0xff, 2, 3), name: 'bad.jpg' }), 422, 'INVALID_IMAGE'],
  ] as const)('refuses %s and creates no account and no stored object', async (_name, make, status, code) => {
    const { username, form } = registration(await make())
    const users = await countRows('users')
    const objects = (await env.MEDIA.list({ prefix: 'avatars/' })).objects.length
    expectError(await callJson('POST', '/api/auth/register', form), status, code)
    expect(await countRows('users')).toBe(users)
    expect((await env.MEDIA.list({ prefix: 'avatars/' })).objects.length).toBe(objects)
    // The name is still free.
    const retry = await callJson('POST', '/api/auth/register', { username, email: `${username}@example.com`, password: 'secret-pass-1' })
    expect(retry.status).toBe(201)
  })
})
