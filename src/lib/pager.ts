import { count, type SQL } from 'drizzle-orm'
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core'
import type { Db } from '../env'

export interface PageRequest {
  page: number
  limit: number
}

/**
 * One page of `table` rows matching `where`, and the total count, read in one D1 batch (one
 * round trip, one consistent snapshot). The rows come in `orderBy` order; end it with a unique
 * column so pages never overlap.
 */
export async function pageRows<T extends SQLiteTable>(
  db: Db,
  table: T,
  where: SQL | undefined,
  orderBy: Array<SQL | SQLiteColumn>,
  { page, limit }: PageRequest,
): Promise<{ rows: T['$inferSelect'][]; total: number }> {
  const [rows, [total]] = await db.batch([
    db.select().from(table as SQLiteTable).where(where).orderBy(...orderBy).limit(limit).offset((page - 1) * limit),
    db.select({ n: count() }).from(table as SQLiteTable).where(where),
  ])
  return { rows: rows as T['$inferSelect'][], total: total?.n ?? 0 }
}
