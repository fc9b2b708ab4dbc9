import { z } from '@hono/zod-openapi'

export const UserStatsSchema = z
  .object({
    works: z.number().int().openapi({ description: 'Generated images kept in the gallery' }),
    views: z.number().int(),
    likes: z.number().int(),
    tasks: z.number().int().openapi({ description: 'Generation tasks submitted' }),
    creditsSpent: z.number().int(),
  })
  .openapi('UserStats')

/**
 * Usage counts for one user. Works, views, likes and tasks come from the generation and
 * gallery features; until those tables exist they are zero.
 */
export async function userStats(_env: Env, _userId: string): Promise<z.infer<typeof UserStatsSchema>> {
  return { works: 0, views: 0, likes: 0, tasks: 0, creditsSpent: 0 }
}
