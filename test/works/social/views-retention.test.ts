import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { handleScheduled } from '../../../src/jobs/scheduled'
import { pruneWorkViews } from '../../../src/features/works/social/views-retention'
import { dbFirst, dbRun, newUser } from '../../helpers'
import { insertWork } from '../../support/works'

const DAY = 86_400_000

const view = (workId: string, viewer: string, at: number) =>
  dbRun('INSERT INTO work_views (work_id, viewer, day, created_at) VALUES (?1, ?2, ?3, ?4)', workId, viewer, new Date(at).toISOString().slice(0, 10), at)

const viewersOf = async (workId: string) =>
  (await env.DB.prepare('SELECT viewer FROM work_views WHERE work_id = ?1 ORDER BY viewer').bind(workId).all<{ viewer: string }>()).results.map((r) => r.viewer)

const viewsCount = async (workId: string) => (await dbFirst<{ n: number }>('SELECT views_count AS n FROM works WHERE id = ?1', workId))!.n

describe('pruneWorkViews (cron)', () => {
  it('deletes view rows older than 8 days and keeps the newer ones; views_count never changes', async () => {
    const owner = await newUser('vret')
    const { workId } = await insertWork(owner.id, { published: true })
    const now = Date.now()
    await view(workId, 'n:old', now - 8 * DAY - 60_000)
    await view(workId, 'n:older', now - 30 * DAY)
    await view(workId, 'n:week', now - 7 * DAY)
    await view(workId, 'u:today', now)
    // Each insert counted once (the insert trigger).
    expect(await viewsCount(workId)).toBe(4)
    expect(await pruneWorkViews(env, now)).toBeGreaterThanOrEqual(2)
    expect(await viewersOf(workId)).toEqual(['n:week', 'u:today'])
    // Lifetime total: deleting rows has no trigger, so the counter keeps the pruned views.
    expect(await viewsCount(workId)).toBe(4)
    // Idempotent: nothing more to delete for this work.
    await pruneWorkViews(env, now)
    expect(await viewersOf(workId)).toEqual(['n:week', 'u:today'])
  })

  it('runs in the scheduled sweep', async () => {
    const owner = await newUser('vret')
    const { workId } = await insertWork(owner.id, { published: true })
    await view(workId, 'n:stale', Date.now() - 9 * DAY)
    await view(workId, 'n:fresh', Date.now() - DAY)
    await handleScheduled({} as ScheduledController, env)
    expect(await viewersOf(workId)).toEqual(['n:fresh'])
    expect(await viewsCount(workId)).toBe(2)
  })
})
