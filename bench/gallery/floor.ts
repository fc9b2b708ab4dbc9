// A bare Worker: no router, no auth, no DTOs. It builds the gallery page's statements with the
// app's own query builder (the same SQL text and parameters), runs them in one batch on the same
// D1 and answers the raw rows. What the app adds beyond this is its own cost.
import { sessionStatement } from '../../src/lib/auth'
import { galleryStatements } from '../../src/features/works/gallery/query'
import type { GallerySort } from '../../src/features/works/gallery/schemas'
import { likedBy, WORK_COLUMNS, WORK_FROM } from '../../src/features/works/shared/rows'

interface FloorEnv {
  DB: D1Database
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const url = new URL(request.url)
    const id = url.searchParams.get('id')
    if (id) {
      // The detail's batch as the app runs it: the view (once per viewer and day) and the read.
      const now = Date.now()
      const [, read] = await env.DB.batch([
        env.DB.prepare(
          `INSERT OR IGNORE INTO work_views (work_id, viewer, day, created_at)
           SELECT id, ?2, ?3, ?4 FROM works WHERE id = ?1 AND published_at IS NOT NULL AND user_id IS NOT ?5`,
        ).bind(id, 'n:bench-floor', new Date(now).toISOString().slice(0, 10), now, null),
        env.DB.prepare(`SELECT ${WORK_COLUMNS}, ${likedBy(2)} ${WORK_FROM} WHERE w.id = ?1`).bind(id, null),
      ])
      return Response.json(read?.results[0] ?? null)
    }
    const sort = (url.searchParams.get('sort') ?? 'latest') as GallerySort
    const search = url.searchParams.get('search') ?? undefined
    // A signed-in viewer: the same likes column and session check the app batches.
    const userId = url.searchParams.get('viewer')
    const sessionId = url.searchParams.get('sid')
    const { page, count } = galleryStatements({ sort, filters: { search }, take: 21, offset: 0, viewerId: userId, at: Date.now(), cursor: null })
    const statements = [env.DB.prepare(page.sql).bind(...page.params), env.DB.prepare(count.sql).bind(...count.params)]
    if (userId && sessionId) statements.push(sessionStatement(env as unknown as Env, { userId, sessionId, expiresAt: 0 }))
    const [rows, total] = await env.DB.batch(statements)
    return Response.json({ items: rows?.results, total: total?.results[0] })
  },
} satisfies ExportedHandler<FloorEnv>
