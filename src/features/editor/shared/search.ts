import { escapeLike, searchPlan } from '../../works/shared/search'

/**
 * Search over chat sessions: a session matches when its title, or the text of one of its current
 * messages, contains every term of the query (terms as for works: whitespace-separated, at most 8;
 * trigram FTS5 for terms of 3+ characters, so CJK and Latin text alike; shorter terms by LIKE,
 * at most the first 2). Message text is searched through `chat_messages_fts` when the query has a
 * long term; a query of short terms only scans the user's own current messages with LIKE.
 */


export interface SessionSearch {
  /** A condition on alias `s` (chat_sessions), parameters numbered from the `firstParam` given. */
  sql: string
  params: string[]
}


/**
 * The condition selecting sessions that match `query`, or null when it has no terms (do not
 * filter). `userParam` is the parameter holding the user id (narrows the message subquery).
 */
export function sessionSearchCondition(query: string, userId: string, userParam: number, firstParam: number): SessionSearch | null {
  const plan = searchPlan(query, firstParam)
  if (!plan) return null
  const { long, short, params, next } = plan
  // The owner phrase keeps FTS5 inside this user's rows (see migration 0012's `owner` column).
  const phrase = (text: string) => `"${text.replace(/"/gu, '""')}"`
  const matchFor = (column: string) => [`owner : ${phrase(userId)}`, ...long.map((t) => `${column} : ${phrase(t)}`)].join(' AND ')
  const titleMatch = long.length > 0 ? next(matchFor('title')) : null
  const textMatch = long.length > 0 ? next(matchFor('text')) : null
  const likes = short.map((t) => next(`%${escapeLike(t)}%`))
  const like = (column: string) => likes.map((p) => `${column} LIKE ${p} ESCAPE '\\'`)
  const current = 'm.superseded_by IS NULL AND m.deleted_at IS NULL'
  if (titleMatch && textMatch) {
    const titles = [`chat_sessions_fts MATCH ${titleMatch}`, ...like('title')].join(' AND ')
    const texts = [`chat_messages_fts MATCH ${textMatch}`, ...like('text')].join(' AND ')
    return {
      sql: `(s.seq IN (SELECT rowid FROM chat_sessions_fts WHERE ${titles})
        OR s.id IN (SELECT m.session_id FROM chat_messages m WHERE m.user_id = ?${userParam} AND ${current} AND m.fts_id IN (SELECT rowid FROM chat_messages_fts WHERE ${texts})))`,
      params,
    }
  }
  return {
    sql: `((${like('s.title').join(' AND ')})
      OR EXISTS (SELECT 1 FROM chat_messages m WHERE m.session_id = s.id AND ${current} AND ${like('m.text').join(' AND ')}))`,
    params,
  }
}
