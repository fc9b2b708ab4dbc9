#!/usr/bin/env node
// Prepares local development: .dev.vars with fresh secrets, local D1 migrations, demo data.
// Idempotent: safe to run before every `wrangler dev` (npm run dev does).
import { execFileSync } from 'node:child_process'
import { randomBytes, webcrypto } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { seedDemoWorks } from './demo-works.mjs'

const root = new URL('..', import.meta.url).pathname
process.chdir(root)

function readVars(path) {
  const vars = {}
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = line.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/)
    if (match) vars[match[1]] = match[2].replace(/^"(.*)"$/, '$1')
  }
  return vars
}

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars')
  const text = readFileSync('.dev.vars', 'utf8')
    .replace(/^JWT_SECRET=$/m, `JWT_SECRET=${randomBytes(32).toString('hex')}`)
    .replace(/^URL_SIGNING_SECRET=$/m, `URL_SIGNING_SECRET=${randomBytes(32).toString('hex')}`)
    .replace(/^WEBHOOK_SECRET=$/m, `WEBHOOK_SECRET=whsec_${randomBytes(24).toString('base64')}`)
    .replace(/^WEBHOOK_SIGNING_SECRET=$/m, `WEBHOOK_SIGNING_SECRET=whsec_${randomBytes(24).toString('base64')}`)
  writeFileSync('.dev.vars', text)
  console.log('dev-setup: created .dev.vars with fresh local secrets')
}
const vars = { ...readVars('.dev.vars.example'), ...readVars('.dev.vars') }

const wrangler = (...args) =>
  execFileSync('wrangler', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CI: '1' } })

wrangler('d1', 'migrations', 'apply', 'DB', '--local')

// Same stored format as src/lib/passwords.ts: pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>.
async function hashPassword(password) {
  const salt = webcrypto.getRandomValues(new Uint8Array(16))
  const key = await webcrypto.subtle.importKey('raw', new TextEncoder().encode(password), 'PBKDF2', false, ['deriveBits'])
  const bits = await webcrypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 100_000 }, key, 256)
  return `pbkdf2_sha256$100000$${Buffer.from(salt).toString('base64')}$${Buffer.from(bits).toString('base64')}`
}

const q = (v) => (v === null || v === undefined ? 'NULL' : `'${String(v).replace(/'/g, "''")}'`)
const now = Date.now()
// Each seeded account starts with its ledger row, so balances always equal their ledger.
const seedUser = async (id, username, email, password, role, credits) =>
  `INSERT OR IGNORE INTO users (id, username, email, password_hash, role, credits, created_at, updated_at)
   VALUES (${q(id)}, ${q(username)}, ${q(email.toLowerCase())}, ${q(await hashPassword(password))}, ${q(role)}, ${credits}, ${now}, ${now});
   INSERT OR IGNORE INTO credit_ledger (id, user_id, amount, reason, balance_after, created_at)
   SELECT ${q(`cl_seed_${id}`)}, id, ${credits}, 'signup_bonus', ${credits}, ${now} FROM users WHERE id = ${q(id)}
     AND NOT EXISTS (SELECT 1 FROM credit_ledger WHERE user_id = ${q(id)});`

const statements = [
  await seedUser('usr_demo_admin', vars.ADMIN_USERNAME || 'admin', vars.ADMIN_EMAIL || 'admin@darkroom.local', vars.ADMIN_PASSWORD || 'darkroom-admin-1', 'admin', 1000),
  await seedUser('usr_demo_user', vars.DEMO_USERNAME || 'demo', vars.DEMO_EMAIL || 'demo@darkroom.local', vars.DEMO_PASSWORD || 'darkroom-demo-1', 'user', 100),
]
const scene = (id, name, category, template, negative, cost, order, description) =>
  `INSERT OR IGNORE INTO scenes (id, name, description, category, prompt_template, negative_prompt, default_params, cost, active, sort_order, created_at, updated_at)
   VALUES (${q(id)}, ${q(name)}, ${q(description)}, ${q(category)}, ${q(template)}, ${q(negative)}, '{"size":"512x768","steps":25}', ${cost}, 1, ${order}, ${now}, ${now});`
statements.push(
  scene('scn_demo_portrait', 'Studio portrait', 'portrait', 'studio portrait of {prompt}, soft key light, 85mm, shallow depth of field', 'blurry, deformed hands', 2, 10, 'Clean studio headshot lighting'),
  scene('scn_demo_film', 'Film noir', 'style', '{prompt}, black and white film noir, hard shadows, 1940s', 'color, cartoon', 2, 20, 'High-contrast monochrome mood'),
  scene('scn_demo_wedding', 'Wedding day', 'event', '{prompt} at a {venue} wedding, golden hour, candid documentary photo', 'text, watermark', 3, 30, 'Warm candid wedding scene; needs variables.venue'),
)
// Demo credit packages (the dev payment provider pays them offline: POST the order's payUrl).
const creditPackage = (id, name, credits, bonus, priceCents, currency, badge, order) =>
  `INSERT OR IGNORE INTO credit_packages (id, name, credits, bonus_credits, price_cents, currency, badge, sort_order, active, created_at, updated_at)
   VALUES (${q(id)}, ${q(name)}, ${credits}, ${bonus}, ${priceCents}, ${q(currency)}, ${q(badge)}, ${order}, 1, ${now}, ${now});`
statements.push(
  creditPackage('pkg_demo_starter', 'Starter', 60, 0, 600, 'CNY', null, 10),
  creditPackage('pkg_demo_value', 'Value', 300, 30, 2800, 'CNY', 'Popular', 20),
  creditPackage('pkg_demo_pro', 'Pro', 1000, 200, 8800, 'CNY', 'Best value', 30),
  creditPackage('pkg_demo_usd', 'Starter (USD)', 100, 0, 999, 'USD', null, 40),
)
mkdirSync('.wrangler/demo', { recursive: true })
writeFileSync('.wrangler/seed.sql', statements.join('\n') + '\n')
wrangler('d1', 'execute', 'DB', '--local', '--file', '.wrangler/seed.sql')
// The users exist now: their demo works (published in the gallery), once.
const works = seedDemoWorks({ wrangler, q, now, dir: '.wrangler/demo' })
if (works?.length) {
  writeFileSync('.wrangler/seed-works.sql', works.join('\n') + '\n')
  wrangler('d1', 'execute', 'DB', '--local', '--file', '.wrangler/seed-works.sql')
}
console.log(`dev-setup: demo data ready. Admin "${vars.ADMIN_USERNAME || 'admin'}", demo user "${vars.DEMO_USERNAME || 'demo'}" (passwords in .dev.vars)`)
