import { drizzle } from 'drizzle-orm/d1'
import type { Db } from '../env'
import * as schema from './schema'

/** A drizzle client over the D1 binding. Cheap: create one per request. */
export function createDb(d1: D1Database): Db {
  return drizzle(d1, { schema })
}
