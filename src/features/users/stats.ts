import { z } from '@hono/zod-openapi'

export const UserStatsSchema = z
  .object({
    works: z.number().int().openapi({ description: 'Generated images kept (not deleted)' }),
    views: z.number().int().openapi({ description: 'Views of your public works (the gallery is not public yet: 0)' }),
    likes: z.number().int().openapi({ description: 'Likes of your public works (the gallery is not public yet: 0)' }),
    tasks: z.number().int().openapi({ description: 'Generation tasks submitted' }),
    creditsSpent: z.number().int().openapi({ description: 'Charged minus refunded' }),
  })
  .openapi('UserStats')

/** Usage counts for one user, in one D1 round trip. */
export async function userStats(env: Env, userId: string): Promise<z.infer<typeof UserStatsSchema>> {
  const row = await env.DB.prepare(
    `SELECT
       (SELECT COUNT(*) FROM images WHERE owner_id = ?1 AND type = 'generated' AND deleted_at IS NULL) AS works,
       (SELECT COUNT(*) FROM tasks WHERE user_id = ?1) AS tasks,
       (SELECT COALESCE(-SUM(amount), 0) FROM credit_ledger WHERE user_id = ?1 AND reason IN ('task_charge', 'task_refund')) AS creditsSpent`,
  )
    .bind(userId)
    .first<{ works: number; tasks: number; creditsSpent: number }>()
  return { works: row?.works ?? 0, views: 0, likes: 0, tasks: row?.tasks ?? 0, creditsSpent: row?.creditsSpent ?? 0 }
}
