/**
 * A user's credit statistics, read from the ledger (the ledger explains the balance exactly):
 * totals, net amount per reason, and the last 30 UTC days. One D1 batch: one round trip, one snapshot.
 */

const DAY_MS = 86_400_000

export interface CreditStats {
  balance: number
  earned: number
  spent: number
  refunded: number
  purchased: number
  byReason: Record<string, number>
  last30Days: Array<{ date: string; earned: number; spent: number }>
}

export async function creditStats(env: Env, userId: string, now = Date.now()): Promise<CreditStats> {
  const today = Math.floor(now / DAY_MS)
  const firstDay = today - 29
  const [balance, reasons, days] = await env.DB.batch<Record<string, number | string | null>>([
    env.DB.prepare('SELECT credits FROM users WHERE id = ?1').bind(userId),
    env.DB.prepare(
      `SELECT reason, SUM(amount) AS net, SUM(MAX(amount, 0)) AS earned, SUM(MAX(-amount, 0)) AS spent
         FROM credit_ledger WHERE user_id = ?1 GROUP BY reason`,
    ).bind(userId),
    env.DB.prepare(
      `SELECT created_at / ${DAY_MS} AS day, SUM(MAX(amount, 0)) AS earned, SUM(MAX(-amount, 0)) AS spent
         FROM credit_ledger WHERE user_id = ?1 AND created_at >= ?2 GROUP BY day`,
    ).bind(userId, firstDay * DAY_MS),
  ])
  const num = (v: unknown) => (typeof v === 'number' ? v : 0)
  const byReason: Record<string, number> = {}
  let earned = 0
  let spent = 0
  for (const row of reasons?.results ?? []) {
    byReason[String(row.reason)] = num(row.net)
    earned += num(row.earned)
    spent += num(row.spent)
  }
  const perDay = new Map((days?.results ?? []).map((r) => [num(r.day), r]))
  const last30Days = Array.from({ length: 30 }, (_, i) => {
    const day = firstDay + i
    const row = perDay.get(day)
    return { date: new Date(day * DAY_MS).toISOString().slice(0, 10), earned: num(row?.earned), spent: num(row?.spent) }
  })
  return {
    balance: num(balance?.results[0]?.credits),
    earned,
    spent,
    refunded: Math.max(0, byReason.task_refund ?? 0),
    purchased: Math.max(0, byReason.purchase ?? 0),
    byReason,
    last30Days,
  }
}
