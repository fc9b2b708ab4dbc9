import { beforeAll, describe, expect, it } from 'vitest'
import { listAuditRoute } from '../../../src/features/audit/routes'
import { reviewWorkRoute } from '../../../src/features/works/review/routes'
import { callJson, dataOf, newUser, type TestUser } from '../../helpers'
import { makeAdmin } from '../../support/generation'
import { insertWork } from '../../support/works'

let admin: TestUser

beforeAll(async () => {
  admin = await newUser('admin')
  await makeAdmin(admin.id)
})

const review = (id: string, body: unknown) => callJson('PUT', `/api/admin/works/${id}`, body, { token: admin.accessToken })
const auditOf = async (workId: string) =>
  dataOf(await callJson('GET', `/api/admin/audit?targetType=work&targetId=${workId}`, undefined, { token: admin.accessToken }), listAuditRoute, 200).items

describe('works review writes the audit log', () => {
  it('each review that changes something writes works.review with before and after; a repeat writes nothing', async () => {
    const owner = await newUser('owner')
    const { workId } = await insertWork(owner.id, { isPublic: true, reviewStatus: 'pending' })
    dataOf(await review(workId, { reviewStatus: 'approved' }), reviewWorkRoute, 200)
    // The same decision again (a retried request) changes nothing and records nothing.
    dataOf(await review(workId, { reviewStatus: 'approved' }), reviewWorkRoute, 200)
    dataOf(await review(workId, { reviewStatus: 'rejected', reason: 'Not consented' }), reviewWorkRoute, 200)
    const rows = await auditOf(workId)
    expect(rows.map((r) => [r.action, r.actorId, r.before, r.after])).toEqual([
      [
        'works.review', admin.id,
        { reviewStatus: 'approved', featured: false, isPublic: true, reviewReason: null },
        { reviewStatus: 'rejected', featured: false, isPublic: false, reviewReason: 'Not consented' },
      ],
      [
        'works.review', admin.id,
        { reviewStatus: 'pending', featured: false, isPublic: true, reviewReason: null },
        { reviewStatus: 'approved', featured: false, isPublic: true, reviewReason: null },
      ],
    ])
  })

  it('two admins reviewing at once: only the review that applied is recorded (the 409 leaves no row)', async () => {
    const second = await newUser('admin')
    await makeAdmin(second.id)
    const owner = await newUser('owner')
    const { workId } = await insertWork(owner.id, { isPublic: true, reviewStatus: 'pending' })
    const results = await Promise.all([
      review(workId, { reviewStatus: 'approved' }),
      callJson('PUT', `/api/admin/works/${workId}`, { reviewStatus: 'rejected', reason: 'No' }, { token: second.accessToken }),
    ])
    const applied = results.filter((r) => r.status === 200).length
    expect(applied).toBeGreaterThanOrEqual(1)
    // Every 200 is one row; every 409 none.
    expect((await auditOf(workId)).length).toBe(applied)
  })
})
