/**
 * Full-text search over works (title, description, prompt, tags) through `works_fts`, the FTS5
 * table with the trigram tokenizer (migration 0007). Trigrams make text without spaces between
 * words (Chinese, Japanese, Korean) searchable by any substring, and Latin text by any part of a
 * word, case-insensitively. Every whitespace-separated term must occur (AND). MATCH only uses
 * terms of three or more characters; shorter ones (common in CJK: 猫, 日落) are matched with LIKE
 * on the same table, after MATCH narrowed the rows when there is a longer term. Each short term
 * is a LIKE scan of four FTS columns, so at most the first 2 short terms are used; further short
 * terms are ignored (a query of many one-letter words costs no more than one of two).
 */

const MAX_TERMS = 8
/** Short terms (< 3 characters) used, in query order: each is a LIKE scan of the FTS table. */
const MAX_SHORT_TERMS = 2
const MAX_TERM_LENGTH = 64
const COLUMNS = ['title', 'description', 'prompt', 'tags'] as const

export interface SearchCondition {
  /** A condition on `w.seq` (alias `w` for works), with parameters numbered from the `firstParam` given. */
  sql: string
  params: string[]
}

/** The distinct search terms of `query` (at most 8, each at most 64 characters). */
export function searchTerms(query: string): string[] {
  const terms = query
    .normalize('NFKC')
    .split(/\s+/u)
    .map((t) => t.replace(/["\u0000-\u001f]/gu, '').slice(0, MAX_TERM_LENGTH))
    .filter((t) => t.length > 0)
  return [...new Set(terms.map((t) => t.toLowerCase()))].slice(0, MAX_TERMS)
}

/** A term as a LIKE pattern body: `\\`, `%` and `_` escaped (use with ESCAPE '\\'). */
export const escapeLike = (term: string) => term.replace(/[\\%_]/gu, (c) => `\\${c}`)

/**
 * A query split for FTS5: the terms of 3+ characters (trigram MATCH), the first MAX_SHORT_TERMS
 * shorter ones (LIKE), and a parameter allocator numbering from `firstParam`; null when the query
 * has no terms (then do not filter).
 */
export function searchPlan(query: string, firstParam: number) {
  const terms = searchTerms(query)
  if (terms.length === 0) return null
  const params: string[] = []
  const next = (value: string) => {
    params.push(value)
    return `?${firstParam + params.length - 1}`
  }
  return {
    long: terms.filter((t) => [...t].length >= 3),
    short: terms.filter((t) => [...t].length < 3).slice(0, MAX_SHORT_TERMS),
    params,
    next,
  }
}

/**
 * The SQL condition selecting works that match `query`, or null when the query has no terms
 * (then do not filter). Every term of 3+ characters must occur; of the shorter ones only the
 * first 2 are used, the rest ignored. Bind `params` in order starting at `?firstParam`.
 */
export function searchCondition(query: string, firstParam: number): SearchCondition | null {
  const plan = searchPlan(query, firstParam)
  if (!plan) return null
  const { long, short, params, next } = plan
  const conditions: string[] = []
  // One MATCH expression: each term a quoted phrase, implicitly ANDed.
  if (long.length > 0) conditions.push(`works_fts MATCH ${next(long.map((t) => `"${t}"`).join(' '))}`)
  for (const term of short) {
    const p = next(`%${escapeLike(term)}%`)
    conditions.push(`(${COLUMNS.map((c) => `${c} LIKE ${p} ESCAPE '\\'`).join(' OR ')})`)
  }
  return { sql: `w.seq IN (SELECT rowid FROM works_fts WHERE ${conditions.join(' AND ')})`, params }
}
