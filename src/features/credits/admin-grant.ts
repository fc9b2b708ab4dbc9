import { auditStatement } from '../audit/service'
import { adminCreditStatements, balanceOf, publishBalance } from './service'

/**
 * `POST /api/credits/grant`: the `admin_grant` ledger row, its `credits.grant` audit row and the
 * balance change in one D1 batch (the audit row only when the ledger row was written). Answers
 * the new balance, or null when there is no such user.
 */
export async function grantWithAudit(env: Env, actorId: string, grant: { userId: string; amount: number; note?: string | undefined }): Promise<number | null> {
  const { userId, amount, note } = grant
  const [ledger, balance] = adminCreditStatements(env, { userId, amount, reason: 'admin_grant', note, now: Date.now() })
  const audit = auditStatement(
    env,
    { actorId, action: 'credits.grant', targetType: 'user', targetId: userId, before: null, after: { amount, note: note ?? null } },
    { onlyIfPreviousChanged: true },
  )
  const [written] = await env.DB.batch([ledger, audit, balance])
  if (!written || written.meta.changes === 0) return null
  await publishBalance(env, userId)
  return balanceOf(env, userId)
}
