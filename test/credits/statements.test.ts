import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { adminCreditStatements, debitForTaskStatements, refundTaskStatements } from '../../src/features/credits/service'
import { newUser } from '../helpers'
import { creditsOf, envWith, expectLedgerMatchesBalance, ledgerCount, queuedTask } from '../support/generation'

// The credits module hands its statements to other modules' batches (tasks charge and refund in
// the batch that writes the task row). Their guards must hold on their own, whoever runs them.

const setStatus = (taskId: string, status: string) => env.DB.prepare('UPDATE tasks SET status = ?2 WHERE id = ?1').bind(taskId, status).run()

describe('credit statements for other modules’ batches', () => {
  it('refund statements refund an ended, charged task exactly once, even run twice at once', async () => {
    const user = await newUser('refund')
    const task = await queuedTask(envWith(), user.accessToken)
    expect(await creditsOf(user.id)).toBe(100 - task.cost)

    // Still queued: the task has not ended, so nothing is refunded.
    const [notEnded] = await env.DB.batch(refundTaskStatements(env, task.id, Date.now()))
    expect(notEnded!.meta.changes).toBe(0)
    expect(await creditsOf(user.id)).toBe(100 - task.cost)

    await setStatus(task.id, 'failed')
    const runs = await Promise.all([1, 2].map(() => env.DB.batch(refundTaskStatements(env, task.id, Date.now()))))
    expect(runs.map(([ledger]) => ledger!.meta.changes).sort()).toEqual([0, 1])
    const [again] = await env.DB.batch(refundTaskStatements(env, task.id, Date.now()))
    expect(again!.meta.changes).toBe(0)

    expect(await creditsOf(user.id)).toBe(100)
    expect(await ledgerCount(task.id, 'task_refund')).toBe(1)
    await expectLedgerMatchesBalance(user.id)
  })

  it('refund statements never pay back a task that was not charged', async () => {
    const user = await newUser('refund')
    const now = Date.now()
    const taskId = `tsk_uncharged_${crypto.randomUUID().slice(0, 8)}`
    await env.DB.prepare(
      `INSERT INTO tasks (id, user_id, status, progress, prompt, model, width, height, batch_size, cfg_scale, steps, seed, sampler,
         clip_skip, cost, provider, attempts, estimated_seconds, created_at, updated_at)
       VALUES (?1, ?2, 'canceled', 0, 'never charged', 'sd-1.5', 512, 512, 1, 7, 20, 1, 'euler', 1, 5, 'local', 0, 2, ?3, ?3)`,
    )
      .bind(taskId, user.id, now)
      .run()
    const [ledger] = await env.DB.batch(refundTaskStatements(env, taskId, now))
    expect(ledger!.meta.changes).toBe(0)
    expect(await creditsOf(user.id)).toBe(100)
    await expectLedgerMatchesBalance(user.id)
  })

  it('debit statements charge nothing when the task row was not written', async () => {
    const user = await newUser('debit')
    const results = await env.DB.batch(debitForTaskStatements(env, { userId: user.id, taskId: 'tsk_never_inserted', cost: 7, now: Date.now() }))
    expect(results.map((r) => r.meta.changes)).toEqual([0, 0])
    expect(await creditsOf(user.id)).toBe(100)
    await expectLedgerMatchesBalance(user.id)
  })

  it('admin credit statements change nothing for an unknown user, and ledger and balance together otherwise', async () => {
    const [missing] = await env.DB.batch(adminCreditStatements(env, { userId: 'usr_nobody', amount: 50, reason: 'admin_grant', now: Date.now() }))
    expect(missing!.meta.changes).toBe(0)
    const user = await newUser('grant')
    const results = await env.DB.batch(adminCreditStatements(env, { userId: user.id, amount: 50, reason: 'admin_grant', note: 'goodwill', now: Date.now() }))
    expect(results.map((r) => r.meta.changes)).toEqual([1, 1])
    expect(await creditsOf(user.id)).toBe(150)
    const row = await env.DB.prepare("SELECT reason, note, balance_after AS balanceAfter FROM credit_ledger WHERE user_id = ?1 AND reason = 'admin_grant'")
      .bind(user.id)
      .first()
    expect(row).toEqual({ reason: 'admin_grant', note: 'goodwill', balanceAfter: 150 })
    await expectLedgerMatchesBalance(user.id)
  })

  it('an adjustment never takes a balance below zero: a debit larger than the balance writes nothing', async () => {
    const user = await newUser('adjust')
    const [refused] = await env.DB.batch(adminCreditStatements(env, { userId: user.id, amount: -101, reason: 'admin_adjust', note: 'too much', now: Date.now() }))
    expect(refused!.meta.changes).toBe(0)
    expect(await creditsOf(user.id)).toBe(100)
    const results = await env.DB.batch(adminCreditStatements(env, { userId: user.id, amount: -100, reason: 'admin_adjust', note: 'all of it', now: Date.now() }))
    expect(results.map((r) => r.meta.changes)).toEqual([1, 1])
    expect(await creditsOf(user.id)).toBe(0)
    await expectLedgerMatchesBalance(user.id)
  })
})
