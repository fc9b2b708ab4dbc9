import { asc, desc, eq } from 'drizzle-orm'
import { type CreditPackage, creditPackages } from '../../db/schema'
import type { Db } from '../../env'
import { conflict, notFound } from '../../lib/errors'
import { newId } from '../../lib/ids'
import { auditStatement } from '../audit/service'
import type { PackageInput, PackageUpdate } from './schemas'

/** The store owns `credit_packages`: written only here. Every admin change lands with its audit row in one batch. */

export function toPackageDto(p: CreditPackage) {
  return { id: p.id, name: p.name, credits: p.credits, bonusCredits: p.bonusCredits, priceCents: p.priceCents, currency: p.currency, badge: p.badge }
}

export function toAdminPackageDto(p: CreditPackage) {
  return { ...toPackageDto(p), sortOrder: p.sortOrder, active: p.active, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() }
}

const DISPLAY_ORDER = [asc(creditPackages.sortOrder), asc(creditPackages.priceCents), asc(creditPackages.id)]

/** Active packages in display order (sort order, then price). */
export function activePackages(db: Db) {
  return db.select().from(creditPackages).where(eq(creditPackages.active, true)).orderBy(...DISPLAY_ORDER)
}

/** Every package, active ones first, then display order. */
export function allPackages(db: Db) {
  return db.select().from(creditPackages).orderBy(desc(creditPackages.active), ...DISPLAY_ORDER)
}

export function findPackage(db: Db, id: string) {
  return db.query.creditPackages.findFirst({ where: eq(creditPackages.id, id) })
}

/** The columns an audit row shows (what an admin can change). */
const audited = (p: Partial<CreditPackage>) => ({
  name: p.name, credits: p.credits, bonusCredits: p.bonusCredits, priceCents: p.priceCents, currency: p.currency, badge: p.badge, sortOrder: p.sortOrder, active: p.active,
})

export async function createPackage(env: Env, actorId: string, input: PackageInput): Promise<CreditPackage> {
  const now = new Date()
  const row: CreditPackage = { id: newId('pkg'), ...input, badge: input.badge ?? null, createdAt: now, updatedAt: now }
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO credit_packages (id, name, credits, bonus_credits, price_cents, currency, badge, sort_order, active, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)`,
    ).bind(row.id, row.name, row.credits, row.bonusCredits, row.priceCents, row.currency, row.badge, row.sortOrder, row.active ? 1 : 0, now.getTime()),
    auditStatement(env, { actorId, action: 'packages.create', targetType: 'package', targetId: row.id, before: null, after: audited(row) }),
  ])
  return row
}

/**
 * Changes a package. Orders copied its terms when they were created, so a price change never
 * touches an existing order. The update is guarded by `updated_at` (a concurrent edit loses:
 * it reads again and retries, 409 after three lost races).
 */
export async function updatePackage(env: Env, db: Db, actorId: string, id: string, patch: PackageUpdate): Promise<CreditPackage> {
  for (let attempt = 0; ; attempt++) {
    const before = await findPackage(db, id)
    if (!before) throw notFound('Package')
    const after: CreditPackage = { ...before, ...patch, badge: patch.badge === undefined ? before.badge : patch.badge, updatedAt: new Date(Math.max(Date.now(), before.updatedAt.getTime() + 1)) }
    const changed = Object.fromEntries(Object.entries(audited(patch)).filter(([, v]) => v !== undefined))
    const previous = Object.fromEntries(Object.keys(changed).map((k) => [k, audited(before)[k as keyof ReturnType<typeof audited>]]))
    const [result] = await env.DB.batch([
      env.DB.prepare(
        `UPDATE credit_packages SET name = ?2, credits = ?3, bonus_credits = ?4, price_cents = ?5, currency = ?6, badge = ?7, sort_order = ?8,
           active = ?9, updated_at = ?10 WHERE id = ?1 AND updated_at = ?11`,
      ).bind(id, after.name, after.credits, after.bonusCredits, after.priceCents, after.currency, after.badge, after.sortOrder, after.active ? 1 : 0, after.updatedAt.getTime(), before.updatedAt.getTime()),
      auditStatement(env, { actorId, action: 'packages.update', targetType: 'package', targetId: id, before: previous, after: changed }, { onlyIfPreviousChanged: true }),
    ])
    if ((result?.meta.changes ?? 0) === 1) return after
    if (attempt >= 2) throw conflict('The package kept changing while it was being updated: try again')
  }
}

/**
 * Deletes a package that no order refers to; one with orders is deactivated instead (orders keep
 * their package). Both guarded in SQL, so an order created meanwhile turns a delete into a deactivation.
 */
export async function deletePackage(env: Env, db: Db, actorId: string, id: string) {
  const before = await findPackage(db, id)
  if (!before) throw notFound('Package')
  const now = Date.now()
  const [deleted, , deactivated] = await env.DB.batch([
    env.DB.prepare('DELETE FROM credit_packages WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM orders WHERE package_id = ?1)').bind(id),
    auditStatement(env, { actorId, action: 'packages.delete', targetType: 'package', targetId: id, before: audited(before), after: null }, { onlyIfPreviousChanged: true }),
    env.DB.prepare('UPDATE credit_packages SET active = 0, updated_at = ?2 WHERE id = ?1 AND active = 1').bind(id, now),
    auditStatement(env, { actorId, action: 'packages.deactivate', targetType: 'package', targetId: id, before: { active: true }, after: { active: false } }, { onlyIfPreviousChanged: true }),
  ])
  const wasDeleted = (deleted?.meta.changes ?? 0) === 1
  if (!wasDeleted && (deactivated?.meta.changes ?? 0) === 0 && !(await findPackage(db, id))) throw notFound('Package')
  return { id, deleted: wasDeleted, deactivated: !wasDeleted }
}
