import { env } from 'cloudflare:test'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { loginRoute, refreshTokensRoute } from '../../src/features/auth/routes'
import { getAnnouncementRoute, updateSettingRoute } from '../../src/features/settings/routes'
import { putSetting } from '../../src/features/settings/service'
import { createTaskRoute, listTasksRoute } from '../../src/features/tasks/routes'
import { callApp, callJson, dataOf, expectError, login, newUser, type TestUser } from '../helpers'
import { deliver, envWith, makeAdmin, queuedTask, taskRow } from '../support/generation'

let admin: TestUser
let user: TestUser

beforeAll(async () => {
  admin = await newUser('admin')
  await makeAdmin(admin.id)
  user = await newUser('plain')
})
afterEach(() => putSetting(env, 'maintenance', false, null))

const maintenanceOn = () => putSetting(env, 'maintenance', true, admin.id)
const createTask = (token: string) => callApp(envWith(), 'POST', '/api/tasks', { prompt: 'a foggy pier' }, { token })

describe('maintenance mode', () => {
  it('off: a user creates tasks as usual', async () => {
    dataOf(await createTask(user.accessToken), createTaskRoute, 202)
  })

  it("on: a user's task creation is 503 MAINTENANCE with Retry-After and no task; an admin's goes through", async () => {
    // Turned on through the admin route itself: the admin's own write passes the guard.
    dataOf(await callJson('PUT', '/api/admin/config/maintenance', { value: true }, { token: admin.accessToken }), updateSettingRoute, 200)
    const before = (await env.DB.prepare('SELECT COUNT(*) AS n FROM tasks WHERE user_id = ?1').bind(user.id).first<{ n: number }>())!.n
    const refused = await createTask(user.accessToken)
    expectError(refused, 503, 'MAINTENANCE')
    expect(refused.res.headers.get('Retry-After')).toBe('60')
    const after = (await env.DB.prepare('SELECT COUNT(*) AS n FROM tasks WHERE user_id = ?1').bind(user.id).first<{ n: number }>())!.n
    expect(after).toBe(before)
    dataOf(await createTask(admin.accessToken), createTaskRoute, 202)
    // The public state says so, for clients to show.
    expect(dataOf(await callJson('GET', '/api/system/announcement'), getAnnouncementRoute, 200).maintenance).toBe(true)
  })

  it('on: anonymous and bad-token writes are 503 too (not a hint about the token), other verbs as well', async () => {
    await maintenanceOn()
    expectError(await callJson('POST', '/api/tasks', { prompt: 'x' }), 503, 'MAINTENANCE')
    expectError(await callJson('POST', '/api/tasks', { prompt: 'x' }, { token: 'not-a-jwt' }), 503, 'MAINTENANCE')
    expectError(await callJson('PUT', '/api/users/profile', { nickname: 'x' }, { token: user.accessToken }), 503, 'MAINTENANCE')
    expectError(await callJson('DELETE', '/api/images/img_missing', undefined, { token: user.accessToken }), 503, 'MAINTENANCE')
    expectError(await callJson('POST', '/api/auth/register', { username: 'mm_new', email: 'mm@example.com', password: 'secret-pass-1' }), 503, 'MAINTENANCE')
  })

  it('on: reads keep working for users', async () => {
    await maintenanceOn()
    dataOf(await callJson('GET', '/api/tasks', undefined, { token: user.accessToken }), listTasksRoute, 200)
    expect((await callJson('GET', '/api/auth/me', undefined, { token: user.accessToken })).status).toBe(200)
  })

  it('on: sign-in, admin sign-in and refresh still work, so admins can get in and readers keep their sessions', async () => {
    await maintenanceOn()
    const signedIn = dataOf(await login(user.username, user.password), loginRoute, 200)
    dataOf(await callJson('POST', '/api/auth/refresh', { refreshToken: signedIn.refreshToken }), refreshTokensRoute, 200)
    const adminIn = await callJson('POST', '/api/auth/admin/login', { login: admin.username, password: admin.password })
    expect(adminIn.status).toBe(200)
    // The admin's fresh token is enough to write.
    const token = (adminIn.body as { data: { accessToken: string } }).data.accessToken
    dataOf(await createTask(token), createTaskRoute, 202)
  })

  it('on: provider callbacks still settle tasks already in flight', async () => {
    const task = await queuedTask(envWith({ GENERATION_PROVIDER: 'webhook' }), user.accessToken, { prompt: 'a paper lantern' })
    await maintenanceOn()
    const r = await deliver('/api/callbacks/webhook', { taskId: task.id, status: 'progress', progress: 30 })
    expect(r.status).toBe(200)
    expect(await taskRow(task.id)).toMatchObject({ status: 'running', progress: 30 })
  })

  it('on: payment notifications reach their route (money already paid must settle); a user cannot start a recharge', async () => {
    const user = await newUser('mtpay') // registration is a write: before maintenance
    await maintenanceOn()
    // Unsigned, so the Stripe route itself refuses it: proof it was not stopped by maintenance.
    expectError(await callJson('POST', '/api/payments/stripe/webhook', {}), 401, 'INVALID_SIGNATURE')
    expectError(await callJson('POST', '/api/credits/recharge', { packageId: 'pkg_any', provider: 'dev' }, { token: user.accessToken }), 503, 'MAINTENANCE')
  })
})
