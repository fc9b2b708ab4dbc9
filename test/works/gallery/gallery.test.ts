import { beforeAll, describe, expect, it } from 'vitest'
import { galleryRoute } from '../../../src/features/works/gallery/routes'
import { searchCondition } from '../../../src/features/works/shared/search'
import { callJson, dataOf, dbRun, newUser, type TestUser } from '../../helpers'
import { insertWork } from '../../support/works'

const DAY = 86_400_000

type Page = ReturnType<typeof dataOf<typeof galleryRoute, 200>>

async function gallery(query: Record<string, string | number | boolean>, token?: string): Promise<Page> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))
  return dataOf(await callJson('GET', `/api/works/gallery?${qs}`, undefined, { token }), galleryRoute, 200)
}

const titles = (page: Page) => page.items.map((w) => w.title)

async function like(workId: string, userId: string, at = Date.now()) {
  await dbRun('INSERT INTO work_likes (work_id, user_id, created_at) VALUES (?1, ?2, ?3)', workId, userId, at)
}

async function view(workId: string, viewer: string) {
  await dbRun("INSERT INTO work_views (work_id, viewer, day, created_at) VALUES (?1, ?2, '2026-01-01', ?3)", workId, viewer, Date.now())
}

let likers: TestUser[]

beforeAll(async () => {
  likers = await Promise.all([newUser('liker'), newUser('liker'), newUser('liker')])
})

describe('GET /api/works/gallery: what appears', () => {
  it('shows only published works (public AND approved), never private, pending or rejected ones', async () => {
    const author = await newUser('author')
    await insertWork(author.id, { title: 'shown', published: true })
    await insertWork(author.id, { title: 'private' })
    await insertWork(author.id, { title: 'pending', isPublic: true, reviewStatus: 'pending' })
    await insertWork(author.id, { title: 'rejected', isPublic: true, reviewStatus: 'rejected' })
    await insertWork(author.id, { title: 'approved but private', isPublic: false, reviewStatus: 'approved' })
    const page = await gallery({ authorId: author.id })
    expect(titles(page)).toEqual(['shown'])
    expect(page.pagination.total).toBe(1)
    // The owner signed in sees the same gallery: their unpublished works live in /api/works/my.
    expect(titles(await gallery({ authorId: author.id }, author.accessToken))).toEqual(['shown'])
  })

  it('answers each item as a Work: public immutable image URLs, author, counts, isNew; the documented envelope', async () => {
    const author = await newUser('author')
    const { workId, imageId } = await insertWork(author.id, { title: 'Harbour at dawn', published: true, tags: ['fog'], category: 'landscape' })
    await insertWork(author.id, { title: 'old', published: true, publishedAt: Date.now() - 3 * DAY })
    const page = await gallery({ authorId: author.id })
    const [fresh, old] = page.items
    expect(fresh).toMatchObject({
      id: workId,
      title: 'Harbour at dawn',
      tags: ['fog'],
      category: 'landscape',
      isPublic: true,
      reviewStatus: 'approved',
      isLiked: false,
      isNew: true,
      author: { id: author.id, username: author.username },
      image: { id: imageId, variants: { thumb: `/api/works/${workId}/images/thumb?v=1` } },
    })
    expect(old?.isNew).toBe(false)
    expect(page.pagination).toEqual({ page: 1, limit: 20, total: 2, totalPages: 1, hasNext: false, hasPrev: false })
    expect(page.nextCursor).toBeNull()
  })
})

describe('GET /api/works/gallery: sorts', () => {
  let author: TestUser
  const ids: Record<string, string> = {}

  beforeAll(async () => {
    author = await newUser('sorts')
    const now = Date.now()
    // "old-favourite": most likes overall, all a month old. "rising": fewer likes, all this week.
    // "newest": published last, no likes, most views.
    ids.oldFavourite = (await insertWork(author.id, { title: 'old-favourite', published: true, publishedAt: now - 40 * DAY })).workId
    ids.rising = (await insertWork(author.id, { title: 'rising', published: true, publishedAt: now - 20 * DAY })).workId
    ids.newest = (await insertWork(author.id, { title: 'newest', published: true, publishedAt: now - DAY })).workId
    for (const u of likers) await like(ids.oldFavourite, u.id, now - 30 * DAY)
    await like(ids.rising, likers[0]!.id, now - DAY)
    await like(ids.rising, likers[1]!.id, now - 2 * DAY)
    for (const v of ['n:a', 'n:b', 'n:c']) await view(ids.newest, v)
    await view(ids.rising, 'n:a')
  })

  it('latest: newest publication first', async () => {
    expect(titles(await gallery({ authorId: author.id, sort: 'latest' }))).toEqual(['newest', 'rising', 'old-favourite'])
  })

  it('likes: most likes first (counted by triggers from the like rows)', async () => {
    const page = await gallery({ authorId: author.id, sort: 'likes' })
    expect(titles(page)).toEqual(['old-favourite', 'rising', 'newest'])
    expect(page.items.map((w) => w.likesCount)).toEqual([3, 2, 0])
  })

  it('views: most views first', async () => {
    expect(titles(await gallery({ authorId: author.id, sort: 'views' }))).toEqual(['newest', 'rising', 'old-favourite'])
  })

  it('popular: likes of the last 7 days first, then all likes, so a rising work beats an old favourite', async () => {
    expect(titles(await gallery({ authorId: author.id, sort: 'popular' }))).toEqual(['rising', 'old-favourite', 'newest'])
  })
})

describe('GET /api/works/gallery: filters', () => {
  let author: TestUser
  beforeAll(async () => {
    author = await newUser('filters')
    const now = Date.now()
    await insertWork(author.id, { title: 'hour', published: true, publishedAt: now - 3_600_000, category: 'portrait', tags: ['film', 'bw'] })
    await insertWork(author.id, { title: 'days', published: true, publishedAt: now - 3 * DAY, category: 'landscape', tags: ['film'], featured: true })
    await insertWork(author.id, { title: 'weeks', published: true, publishedAt: now - 20 * DAY, category: 'landscape', tags: ['sea'] })
    await insertWork(author.id, { title: 'months', published: true, publishedAt: now - 60 * DAY, tags: ['bw'] })
  })

  it('timeFilter today, week, month: published within 24 hours, 7 days, 30 days', async () => {
    expect(titles(await gallery({ authorId: author.id, timeFilter: 'today' }))).toEqual(['hour'])
    expect(titles(await gallery({ authorId: author.id, timeFilter: 'week' }))).toEqual(['hour', 'days'])
    expect(titles(await gallery({ authorId: author.id, timeFilter: 'month' }))).toEqual(['hour', 'days', 'weeks'])
  })

  it('category, tag (case-insensitive, a whole tag of the list), featured, authorId', async () => {
    expect(titles(await gallery({ authorId: author.id, category: 'landscape' }))).toEqual(['days', 'weeks'])
    expect(titles(await gallery({ authorId: author.id, tag: 'BW' }))).toEqual(['hour', 'months'])
    // A tag is matched as a list element, not as a substring of the JSON text.
    expect(titles(await gallery({ authorId: author.id, tag: 'fil' }))).toEqual([])
    expect(titles(await gallery({ authorId: author.id, featured: true }))).toEqual(['days'])
    expect(titles(await gallery({ authorId: author.id, featured: false }))).toEqual(['hour', 'weeks', 'months'])
    const other = await newUser('filters')
    expect(titles(await gallery({ authorId: other.id }))).toEqual([])
  })

  it('filters combine, and the total counts what they match', async () => {
    const page = await gallery({ authorId: author.id, tag: 'film', timeFilter: 'week', limit: 1 })
    expect(titles(page)).toEqual(['hour'])
    expect(page.pagination).toMatchObject({ total: 2, totalPages: 2, hasNext: true })
  })
})

describe('GET /api/works/gallery: search', () => {
  let author: TestUser
  beforeAll(async () => {
    author = await newUser('search')
    await insertWork(author.id, { title: '海边的日落', published: true })
    await insertWork(author.id, { title: 'Harbour at dawn', description: 'fishing boats', published: true })
    await insertWork(author.id, { title: 'plain', prompt: 'a cat on a sofa, 猫', tags: ['cosy'], published: true })
    // Unpublished text must not be findable.
    await insertWork(author.id, { title: '日落 private' })
  })

  const search = async (q: string) => titles(await gallery({ authorId: author.id, search: q }))

  it('finds CJK text by any part: 日落 (two characters: LIKE) and 海边的 (three or more: FTS5 trigram MATCH)', async () => {
    expect(await search('日落')).toEqual(['海边的日落'])
    expect(await search('海边的')).toEqual(['海边的日落'])
    expect(await search('猫')).toEqual(['plain'])
  })

  it('finds Latin text by part of a word, case-insensitively, over title, description, prompt and tags', async () => {
    expect(await search('harb')).toEqual(['Harbour at dawn'])
    expect(await search('HARBOUR')).toEqual(['Harbour at dawn'])
    expect(await search('fishing')).toEqual(['Harbour at dawn'])
    expect(await search('sofa')).toEqual(['plain'])
    expect(await search('cosy')).toEqual(['plain'])
    // Every term must occur.
    expect(await search('harbour fishing')).toEqual(['Harbour at dawn'])
    expect(await search('harbour sofa')).toEqual([])
  })

  it('uses only the first 2 terms shorter than 3 characters (each is a LIKE scan); further short ones are ignored', async () => {
    // 猫 and a both occur in "plain"; zz occurs nowhere, so it would empty the answer if it were used.
    const many = await callJson('GET', `/api/works/gallery?authorId=${author.id}&search=${encodeURIComponent('猫 a zz q x')}`)
    expect(many.status).toBe(200)
    expect(await search('猫 a zz q x')).toEqual(['plain'])
    // The first two count, in query order: zz first empties it.
    expect(await search('zz 猫 a')).toEqual([])
    // Longer terms are all used, whatever the short ones.
    expect(await search('猫 a zz sofa')).toEqual(['plain'])
    expect(await search('猫 a zz harbour')).toEqual([])
    expect(searchCondition('a b c d harbour', 1)?.params).toEqual(['"harbour"', '%a%', '%b%'])
  })

  it('quotes, FTS5 operators and LIKE wildcards are plain text, never an error', async () => {
    for (const q of ['"', '"harb', "it's", 'harb*', 'NOT harb', 'harb OR x', '(harb', '%', '_', '\\', 'a:b', '^harb', 'NEAR(a b)', '   ']) {
      const res = await callJson('GET', `/api/works/gallery?authorId=${author.id}&search=${encodeURIComponent(q)}`)
      expect(res.status, `${q}: ${JSON.stringify(res.body)}`).toBe(200)
    }
    // A bare % must not match everything.
    expect(await search('%')).toEqual([])
  })
})
