import { env } from 'cloudflare:test'
import { z } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { callApp, callJson, expectError, newUser } from '../helpers'
import { makePng, uploadImage } from '../support/images'
import { creditsOf, envWith, expectLedgerMatchesBalance, grantCredits, ledgerOf, queuedTask } from '../support/generation'

// Tasks here are only priced and stored: a capturing queue keeps the local renderer out of it.
const bindings = () => envWith()
const post = (token: string, body: unknown, headers?: Record<string, string>) => callApp(bindings(), 'POST', '/api/tasks', body, { token, headers })

async function taskCount(userId: string) {
  return (await env.DB.prepare('SELECT count(*) AS n FROM tasks WHERE user_id = ?1').bind(userId).first<{ n: number }>())!.n
}

describe('POST /api/tasks validation (API.md ranges)', () => {
  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['prompt over 500 characters', { prompt: 'x'.repeat(501) }, 'prompt'],
    ['prompt not a string', { prompt: 42 }, 'prompt'],
    ['negativePrompt over 200 characters', { negativePrompt: 'n'.repeat(201) }, 'negativePrompt'],
    ['size outside the enum', { size: '640x480' }, 'size'],
    ['batchSize 0', { batchSize: 0 }, 'batchSize'],
    ['batchSize 5', { batchSize: 5 }, 'batchSize'],
    ['batchSize 1.5', { batchSize: 1.5 }, 'batchSize'],
    ['cfgScale 0.9', { cfgScale: 0.9 }, 'cfgScale'],
    ['cfgScale 20.5', { cfgScale: 20.5 }, 'cfgScale'],
    ['steps 9', { steps: 9 }, 'steps'],
    ['steps 51', { steps: 51 }, 'steps'],
    ['seed -2', { seed: -2 }, 'seed'],
    ['seed 1.5', { seed: 1.5 }, 'seed'],
    ['sampler outside the enum', { sampler: 'k_lms' }, 'sampler'],
    ['clipSkip 0', { clipSkip: 0 }, 'clipSkip'],
    ['clipSkip 3', { clipSkip: 3 }, 'clipSkip'],
    ['more than 4 input images', { inputImageIds: ['a', 'b', 'c', 'd', 'e'] }, 'inputImageIds'],
  ]

  it.each(invalid)('%s → 400 VALIDATION_ERROR on that field, nothing charged', async (_, extra, field) => {
    const user = await newUser('val')
    const r = await post(user.accessToken, { prompt: 'a red bicycle', ...extra })
    const error = expectError(r, 400, 'VALIDATION_ERROR')
    expect(error.details).toEqual([{ field, message: expect.any(String) }])
    expect(error.error).toContain(field)
    expect(await taskCount(user.id)).toBe(0)
    expect(await creditsOf(user.id)).toBe(100)
  })

  it('names every failing field at once', async () => {
    const user = await newUser('val')
    const r = await post(user.accessToken, { prompt: 'x', size: '1x1', batchSize: 9, cfgScale: 0, steps: 100, seed: -5, sampler: 'nope', clipSkip: 7, negativePrompt: 'n'.repeat(300) })
    const { details } = expectError(r, 400, 'VALIDATION_ERROR')
    expect(z.array(z.object({ field: z.string() })).parse(details).map((d) => d.field).sort()).toEqual(
      ['batchSize', 'cfgScale', 'clipSkip', 'negativePrompt', 'sampler', 'seed', 'size', 'steps'].sort(),
    )
  })

  it('a prompt is required without a scene (missing, empty or blank)', async () => {
    const user = await newUser('val')
    for (const body of [{}, { prompt: '' }, { prompt: '    ' }, { negativePrompt: 'only this' }]) {
      const r = await post(user.accessToken, body)
      expect(expectError(r, 400, 'VALIDATION_ERROR').details).toEqual([{ field: 'prompt', message: expect.any(String) }])
    }
    expect(await taskCount(user.id)).toBe(0)
  })

  it('a body that is not JSON is a 400, and no token is a 401', async () => {
    const user = await newUser('val')
    const broken = await callApp(bindings(), 'POST', '/api/tasks', '{"prompt": ', { token: user.accessToken, headers: { 'content-type': 'application/json' } })
    expectError(broken, 400, 'VALIDATION_ERROR')
    expectError(await callJson('POST', '/api/tasks', { prompt: 'x' }), 401, 'UNAUTHORIZED')
  })

  it('accepts every boundary value and stores it as given', async () => {
    const user = await newUser('val')
    await grantCredits(user.id, 200)
    const low = await queuedTask(bindings(), user.accessToken, {
      prompt: 'p'.repeat(500), negativePrompt: 'n'.repeat(200), batchSize: 1, cfgScale: 1, steps: 10, seed: 0, sampler: 'ddim', clipSkip: 1, size: '512x768',
    })
    expect(low).toMatchObject({ status: 'queued', progress: 0, batchSize: 1, cfgScale: 1, steps: 10, seed: 0, sampler: 'ddim', clipSkip: 1, size: '512x768', images: [], error: null })
    expect(low.prompt).toHaveLength(500)
    const high = await queuedTask(bindings(), user.accessToken, {
      prompt: 'max', batchSize: 4, cfgScale: 20, steps: 50, seed: 4294967295, sampler: 'dpmpp_sde_karras', clipSkip: 2, size: '1024x1024',
    })
    expect(high).toMatchObject({ batchSize: 4, cfgScale: 20, steps: 50, seed: 4294967295, sampler: 'dpmpp_sde_karras', clipSkip: 2, size: '1024x1024' })
    for (const sampler of ['euler', 'dpmpp_2m_karras']) {
      expect((await queuedTask(bindings(), user.accessToken, { prompt: 'x', sampler })).sampler).toBe(sampler)
    }
    expect((await queuedTask(bindings(), user.accessToken, { prompt: 'x', size: '768x512' })).size).toBe('768x512')
  })

  it('seed -1 (and no seed) picks a concrete random seed ≥ 0; defaults fill the rest', async () => {
    const user = await newUser('val')
    const random = await queuedTask(bindings(), user.accessToken, { prompt: 'x', seed: -1 })
    const implicit = await queuedTask(bindings(), user.accessToken, { prompt: '  trimmed  ' })
    for (const t of [random, implicit]) {
      expect(Number.isInteger(t.seed) && t.seed >= 0).toBe(true)
    }
    expect(implicit).toMatchObject({ prompt: 'trimmed', model: 'sdxl-base-1.0', size: '512x512', batchSize: 1, cfgScale: 7, steps: 20, sampler: 'euler', clipSkip: 1, negativePrompt: null })
    expect(implicit.estimatedTime).toBeGreaterThan(0)
  })
})

describe('pricing', () => {
  it('documents the cost formula in the route description', async () => {
    const spec = z
      .object({ paths: z.object({ '/api/tasks': z.object({ post: z.object({ description: z.string() }) }) }) })
      .parse((await callJson('GET', '/openapi.json')).body)
    const description = spec.paths['/api/tasks'].post.description
    expect(description).toContain('Cost = ceil(unit × batchSize × pixels / 512² × max(1, steps / 30))')
    expect(description).toMatch(/INSUFFICIENT_CREDITS/)
  })

  it.each([
    [{}, 2],
    [{ size: '768x512' }, 3],
    [{ size: '512x768', batchSize: 3 }, 9],
    [{ size: '1024x1024' }, 8],
    [{ steps: 30 }, 2],
    [{ steps: 31 }, 3],
    [{ steps: 50 }, 4],
    [{ batchSize: 4, steps: 37 }, 10],
    [{ size: '1024x1024', batchSize: 4, steps: 50 }, 54],
  ])('%j costs %i credits, debited with a task_charge ledger row', async (params, cost) => {
    const user = await newUser('price')
    const task = await queuedTask(bindings(), user.accessToken, { prompt: 'priced', ...params })
    expect(task.cost).toBe(cost)
    expect(await creditsOf(user.id)).toBe(100 - cost)
    const charge = (await ledgerOf(user.id)).find((r) => r.reason === 'task_charge')
    expect(charge).toMatchObject({ amount: -cost, task_id: task.id, balance_after: 100 - cost })
  })
})

describe('402 INSUFFICIENT_CREDITS', () => {
  it('refuses a task the balance does not cover and writes nothing', async () => {
    const user = await newUser('broke')
    const expensive = { prompt: 'big', size: '1024x1024', batchSize: 4, steps: 50 } // 54 credits
    await queuedTask(bindings(), user.accessToken, expensive)
    const before = await ledgerOf(user.id)
    const input = await uploadImage(user.accessToken, await makePng(16, 16), 'in.png')
    const r = await post(user.accessToken, { ...expensive, inputImageIds: [input.id] })
    expect(expectError(r, 402, 'INSUFFICIENT_CREDITS').details).toEqual({ required: 54, balance: 46 })
    expect(await taskCount(user.id)).toBe(1)
    expect(await ledgerOf(user.id)).toEqual(before)
    expect(await creditsOf(user.id)).toBe(46)
    // Not even a reference on the input image is taken for a refused task.
    const ref = await env.DB.prepare('SELECT ref_count AS n FROM images WHERE id = ?1').bind(input.id).first<{ n: number }>()
    expect(ref!.n).toBe(1)
    // A task that fits the rest still works.
    expect((await queuedTask(bindings(), user.accessToken, { prompt: 'small' })).cost).toBe(2)
    await expectLedgerMatchesBalance(user.id)
  })
})

describe('inputImageIds', () => {
  it('accepts your own images and refuses anyone else\'s (404) without charging', async () => {
    const alice = await newUser('inimg')
    const bob = await newUser('inimg')
    const mine = await uploadImage(alice.accessToken, await makePng(24, 16), 'in.png')
    const bobs = await uploadImage(bob.accessToken, await makePng(24, 16), 'bob.png')

    const foreign = await post(alice.accessToken, { prompt: 'img2img', inputImageIds: [mine.id, bobs.id] })
    const notFound = expectError(foreign, 404, 'NOT_FOUND')
    // The answer names only the id the caller sent that is not theirs, never whose it is.
    expect(notFound.error).not.toContain(bob.username)
    expectError(await post(alice.accessToken, { prompt: 'x', inputImageIds: ['img_nope'] }), 404, 'NOT_FOUND')
    expect(await taskCount(alice.id)).toBe(0)
    expect(await creditsOf(alice.id)).toBe(100)

    const ok = await queuedTask(bindings(), alice.accessToken, { prompt: 'img2img', inputImageIds: [mine.id, mine.id] })
    expect(ok.inputImageIds).toEqual([mine.id])
    // The task holds a reference on its input, so deleting the image cannot free its bytes yet.
    const ref = await env.DB.prepare('SELECT ref_count AS n FROM images WHERE id = ?1').bind(mine.id).first<{ n: number }>()
    expect(ref!.n).toBe(2)
  })
})
