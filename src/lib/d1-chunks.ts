import type { BatchItem } from 'drizzle-orm/batch'
import type { RunnableQuery } from 'drizzle-orm/runnable-query'
import type { Db } from '../env'

/**
 * D1 binds at most 100 parameters per statement. An `IN (…)` list is split into chunks of at most
 * this many values, leaving room for the statement's other parameters (owner, status, …).
 */
export const MAX_IN_LIST = 90

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunked<T>(items: readonly T[], size = MAX_IN_LIST): T[][] {
  if (size < 1) throw new RangeError('chunk size must be positive')
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Runs `build(chunk)` for every chunk of the (deduplicated) `values`, all statements in ONE
 * `db.batch()` (one round trip, one transaction), and concatenates the rows they return.
 * `build` must return a drizzle query that resolves to an array (a select, a relational
 * `findMany`, or an update/delete with `.returning()`). No values: no query, `[]`.
 *
 *   const rows = await inChunks(db, ids, (chunk) => db.query.images.findMany({ where: (i, { inArray }) => inArray(i.id, chunk) }))
 */
export async function inChunks<V, Row>(
  db: Db,
  values: readonly V[],
  build: (chunk: V[]) => RunnableQuery<Row[], 'sqlite'>,
): Promise<Row[]> {
  const unique = [...new Set(values)]
  if (unique.length === 0) return []
  const [first, ...rest] = chunked(unique).map(build)
  const results = (await db.batch([first as BatchItem<'sqlite'>, ...(rest as BatchItem<'sqlite'>[])])) as unknown as Row[][]
  return results.flat()
}
