import { env } from 'cloudflare:test'

/** Test-only rows written straight into D1 with known times, so the console's numbers are exact. */

export interface TaskSeed {
  status?: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled'
  provider?: string
  createdAt?: number
  cost?: number
  error?: string | null
  errorCode?: 'GENERATION_FAILED' | 'CONTENT_VIOLATION' | null
}

export async function seedTask(userId: string, seed: TaskSeed = {}): Promise<string> {
  const id = `tsk_seed_${crypto.randomUUID().slice(0, 12)}`
  const at = seed.createdAt ?? Date.now()
  const done = seed.status === 'succeeded' || seed.status === 'failed' || seed.status === 'canceled'
  await env.DB.prepare(
    `INSERT INTO tasks (id, user_id, status, progress, prompt, model, width, height, batch_size, cfg_scale, steps, seed, sampler,
       clip_skip, cost, provider, attempts, error, error_code, estimated_seconds, created_at, finished_at, updated_at)
     VALUES (?1, ?2, ?3, 0, 'seeded', 'sdxl', 512, 512, 1, 7, 30, 1, 'euler', 1, ?4, ?5, 1, ?6, ?7, 10, ?8, ?9, ?8)`,
  ).bind(id, userId, seed.status ?? 'queued', seed.cost ?? 4, seed.provider ?? 'local', seed.error ?? null, seed.errorCode ?? null, at, done ? at + 1000 : null).run()
  return id
}

/** A user row without the API (old accounts, disabled ones); no ledger row. */
export async function seedUser(name: string, fields: { createdAt: number; lastLoginAt?: number | null; disabledAt?: number | null; role?: 'user' | 'admin' }): Promise<string> {
  const id = `usr_seed_${name}`
  await env.DB.prepare(
    `INSERT INTO users (id, username, email, role, credits, last_login_at, disabled_at, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?7)`,
  ).bind(id, name, `${name}@example.com`, fields.role ?? 'user', fields.lastLoginAt ?? null, fields.disabledAt ?? null, fields.createdAt).run()
  return id
}

export async function seedLedger(userId: string, amount: number, reason: string, at = Date.now()): Promise<void> {
  await env.DB.prepare('INSERT INTO credit_ledger (id, user_id, amount, reason, balance_after, created_at) VALUES (?1, ?2, ?3, ?4, 0, ?5)')
    .bind(`cl_seed_${crypto.randomUUID()}`, userId, amount, reason, at).run()
}

let packageSeeded = false

export async function seedOrder(userId: string, order: { status: string; currency: string; amountCents: number; paidAt?: number | null; createdAt?: number }): Promise<void> {
  const now = Date.now()
  if (!packageSeeded) {
    await env.DB.prepare(
      "INSERT OR IGNORE INTO credit_packages (id, name, credits, price_cents, currency, created_at, updated_at) VALUES ('pkg_seed', 'Seed', 100, 600, 'CNY', ?1, ?1)",
    ).bind(now).run()
    packageSeeded = true
  }
  await env.DB.prepare(
    `INSERT INTO orders (id, user_id, package_id, provider, status, amount_cents, currency, credits, expires_at, paid_at, created_at, updated_at)
     VALUES (?1, ?2, 'pkg_seed', 'dev', ?3, ?4, ?5, 100, ?6, ?7, ?8, ?8)`,
  ).bind(`ord_seed_${crypto.randomUUID().slice(0, 12)}`, userId, order.status, order.amountCents, order.currency, now + 1_800_000, order.paidAt ?? null, order.createdAt ?? now).run()
}

export async function seedSocketRow(room: string, counts: { devices?: number; owners?: number; guests?: number }, updatedAt = Date.now()): Promise<void> {
  const [kind, targetId] = room.split(':') as [string, string]
  await env.DB.prepare('INSERT INTO socket_counts (room, kind, target_id, devices, owners, guests, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)')
    .bind(room, kind, targetId, counts.devices ?? 0, counts.owners ?? 0, counts.guests ?? 0, updatedAt).run()
}
