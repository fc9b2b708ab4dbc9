import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { listImagesRoute } from '../../src/features/images/routes'
import { call, callJson, dataOf, newUser, type TestUser, expectError } from '../helpers'
import { formWith, imageKeys, makePng, uploadImage } from '../support/images'

// Image ids travel in URLs, logs and referrers. Knowing one must give a stranger nothing: not the
// bytes, not the metadata, not even confirmation that it exists (404, the same as a random id).

let owner: TestUser
let stranger: TestUser
// biome-ignore lint: tests read arbitrary JSON.
let image: any

const asJson = async (res: Response) => ({ status: res.status, body: await res.json(), res })

beforeAll(async () => {
  owner = await newUser('own')
  stranger = await newUser('str')
  image = await uploadImage(owner.accessToken, await makePng(40, 30), 'mine.png')
})

describe("someone else's image", () => {
  it('is 404 on detail, on every variant and on delete, exactly like an unknown id', async () => {
    const unknown = 'img_doesnotexist000000000000'
    for (const id of [image.id, unknown]) {
      expectError(await callJson('GET', `/api/images/${id}`, undefined, { token: stranger.accessToken }), 404, 'NOT_FOUND')
      for (const variant of ['thumb', 'preview', 'original']) {
        expectError(await asJson(await call('GET', `/api/images/${id}/${variant}`, undefined, { token: stranger.accessToken })), 404, 'NOT_FOUND')
      }
      expectError(await callJson('DELETE', `/api/images/${id}`, undefined, { token: stranger.accessToken }), 404, 'NOT_FOUND')
    }
  })

  it("a stranger's delete attempt leaves the image and its files untouched", async () => {
    await callJson('DELETE', `/api/images/${image.id}`, undefined, { token: stranger.accessToken })
    const detail = await callJson('GET', `/api/images/${image.id}`, undefined, { token: owner.accessToken })
    expect(detail.status).toBe(200)
    expect(await imageKeys(owner.id, image.id)).toEqual(expect.arrayContaining([expect.stringMatching(/original\.png$/), expect.stringMatching(/thumb\.webp$/)]))
    const row = await env.DB.prepare('SELECT ref_count, deleted_at FROM images WHERE id = ?').bind(image.id).first()
    expect(row).toEqual({ ref_count: 1, deleted_at: null })
  })

  it("does not appear in the stranger's list", async () => {
    const list = await callJson('GET', '/api/images', undefined, { token: stranger.accessToken })
    const page = dataOf(list, listImagesRoute, 200)
    expect(page.items).toEqual([])
    expect(page.pagination.total).toBe(0)
  })

  it('cannot be reached with the stranger token on a URL meant for the owner', async () => {
    // The bearer token is checked against the owner; a valid token of someone else grants nothing.
    const res = await call('GET', `/api/images/${image.id}/original`, undefined, { token: stranger.accessToken })
    expect(res.status).toBe(404)
    await res.arrayBuffer()
  })
})

describe('without credentials', () => {
  it('owner routes answer 401 UNAUTHORIZED', async () => {
    const form = formWith('image', [{ bytes: await makePng(8, 8), name: 'a.png' }])
    expectError(await callJson('POST', '/api/images/upload', form), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', '/api/images'), 401, 'UNAUTHORIZED')
    expectError(await callJson('GET', `/api/images/${image.id}`), 401, 'UNAUTHORIZED')
    expectError(await callJson('DELETE', `/api/images/${image.id}`), 401, 'UNAUTHORIZED')
  })

  it('a garbage or tampered token is 401 too, not 500', async () => {
    expectError(await callJson('GET', '/api/images', undefined, { token: 'not-a-jwt' }), 401, 'UNAUTHORIZED')
    const [h, p, s] = owner.accessToken.split('.')
    // Change the FIRST character: the last ones of base64url carry padding bits, so changing them may decode to the same bytes.
    const tampered = `${h}.${p}.${s!.startsWith('A') ? 'B' : 'A'}${s!.slice(1)}`
    const res = await callJson('GET', `/api/images/${image.id}`, undefined, { token: tampered })
    expect(res.status).toBe(401)
  })

  it('the bytes route answers 404 (not 401) to an anonymous request for a private image', async () => {
    // 401 would confirm the id exists; a private image is simply not there for anonymous callers.
    for (const variant of ['thumb', 'preview', 'original']) {
      expectError(await asJson(await call('GET', `/api/images/${image.id}/${variant}`)), 404, 'NOT_FOUND')
    }
  })

  it('the owner still reads all of it', async () => {
    for (const variant of ['thumb', 'preview', 'original']) {
      const res = await call('GET', `/api/images/${image.id}/${variant}`, undefined, { token: owner.accessToken })
      expect(res.status, variant).toBe(200)
      await res.arrayBuffer()
    }
  })
})

describe('route parameters', () => {
  it('an unknown variant name is a 400 validation error, not a lookup', async () => {
    const res = await call('GET', `/api/images/${image.id}/full`, undefined, { token: owner.accessToken })
    expectError(await asJson(res), 400, 'VALIDATION_ERROR')
  })

  it('an absurdly long id is refused by validation', async () => {
    const res = await callJson('GET', `/api/images/${'x'.repeat(200)}`, undefined, { token: owner.accessToken })
    expectError(res, 400, 'VALIDATION_ERROR')
  })
})
