import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { createTaskRoute } from '../../src/features/tasks/routes'
import { callApp, dataOf, expectError, newUser } from '../helpers'
import { creditsOf, envWith, expectLedgerMatchesBalance, ledgerOf } from '../support/generation'

const post = (bindings: Env, token: string, body: unknown, key?: string) =>
  callApp(bindings, 'POST', '/api/tasks', body, { token, headers: key ? { 'Idempotency-Key': key } : {} })

/** The task a 202 answer created (or replayed). */
const taskOf = (r: { status: number; body: unknown }) => dataOf(r, createTaskRoute, 202).task

async function tasksOf(userId: string) {
  const { results } = await env.DB.prepare('SELECT id FROM tasks WHERE user_id = ?1').bind(userId).all<{ id: string }>()
  return results.map((r) => r.id)
}

describe('Idempotency-Key on POST /api/tasks', () => {
  it('a replay answers the first task with Idempotent-Replayed: true and charges once', async () => {
    const user = await newUser('idem')
    const bindings = envWith()
    const body = { prompt: 'a paper boat', steps: 25 }
    const first = await post(bindings, user.accessToken, body, 'key-replay-1')
    expect(first.status).toBe(202)
    expect(first.res.headers.get('Idempotent-Replayed')).toBeNull()
    const again = await post(bindings, user.accessToken, body, 'key-replay-1')
    expect(again.status).toBe(202)
    expect(again.res.headers.get('Idempotent-Replayed')).toBe('true')
    expect(taskOf(again).id).toBe(taskOf(first).id)
    expect(taskOf(again).seed).toBe(taskOf(first).seed)

    expect(await tasksOf(user.id)).toEqual([taskOf(first).id])
    expect(await creditsOf(user.id)).toBe(98)
    expect((await ledgerOf(user.id)).filter((r) => r.reason === 'task_charge')).toHaveLength(1)
    // A replay is not a new job: nothing is queued twice.
    expect(bindings.sent).toHaveLength(1)
  })

  it('key order in the JSON body does not make a different request', async () => {
    const user = await newUser('idem')
    const bindings = envWith()
    const a = await post(bindings, user.accessToken, { prompt: 'order', steps: 12, cfgScale: 4 }, 'key-order')
    const b = await post(bindings, user.accessToken, { cfgScale: 4, steps: 12, prompt: 'order' }, 'key-order')
    expect(b.res.headers.get('Idempotent-Replayed')).toBe('true')
    expect(taskOf(b).id).toBe(taskOf(a).id)
  })

  it('the same key with a different body is 409 and charges nothing more', async () => {
    const user = await newUser('idem')
    const bindings = envWith()
    await post(bindings, user.accessToken, { prompt: 'first' }, 'key-conflict')
    const r = await post(bindings, user.accessToken, { prompt: 'second' }, 'key-conflict')
    expect(expectError(r, 409, 'CONFLICT').error).toMatch(/Idempotency-Key/)
    expect(await tasksOf(user.id)).toHaveLength(1)
    expect(await creditsOf(user.id)).toBe(98)
  })

  it('keys belong to one user: another user with the same key gets their own task', async () => {
    const alice = await newUser('idem')
    const bob = await newUser('idem')
    const bindings = envWith()
    const a = await post(bindings, alice.accessToken, { prompt: 'shared key' }, 'key-shared')
    const b = await post(bindings, bob.accessToken, { prompt: 'shared key' }, 'key-shared')
    expect(b.status).toBe(202)
    expect(b.res.headers.get('Idempotent-Replayed')).toBeNull()
    expect(taskOf(b).id).not.toBe(taskOf(a).id)
    expect(await creditsOf(alice.id)).toBe(98)
    expect(await creditsOf(bob.id)).toBe(98)
  })

  it('without a key, or with another key, the same body is a new task', async () => {
    const user = await newUser('idem')
    const bindings = envWith()
    const ids = new Set<string>()
    for (const key of [undefined, undefined, 'k-1', 'k-2']) ids.add(taskOf(await post(bindings, user.accessToken, { prompt: 'again' }, key)).id)
    expect(ids.size).toBe(4)
    expect(await creditsOf(user.id)).toBe(92)
  })

  it('parallel requests with the same key make one task and one charge', async () => {
    const user = await newUser('idem')
    const bindings = envWith()
    const body = { prompt: 'double click', batchSize: 2 }
    const results = await Promise.all(Array.from({ length: 12 }, () => post(bindings, user.accessToken, body, 'key-parallel')))
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(202))
    expect(new Set(results.map((r) => taskOf(r).id)).size).toBe(1)
    // Exactly one request created the task; every other one is marked as a replay.
    expect(results.filter((r) => r.res.headers.get('Idempotent-Replayed') !== 'true')).toHaveLength(1)
    expect(await tasksOf(user.id)).toHaveLength(1)
    expect(await creditsOf(user.id)).toBe(96)
    expect((await ledgerOf(user.id)).filter((r) => r.reason === 'task_charge')).toHaveLength(1)
    await expectLedgerMatchesBalance(user.id)
    expect(bindings.sent).toHaveLength(1)
  })

  it('refuses keys longer than 100 characters', async () => {
    const user = await newUser('idem')
    const r = await post(envWith(), user.accessToken, { prompt: 'x' }, 'k'.repeat(101))
    expectError(r, 400, 'VALIDATION_ERROR')
    expect(await tasksOf(user.id)).toHaveLength(0)
  })
})
