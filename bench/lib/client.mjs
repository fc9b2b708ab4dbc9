// Small helpers shared by the benchmarks: talk to a running `npm run dev` server.
import { existsSync, readFileSync } from 'node:fs'

export const BASE_URL = process.env.DARKROOM_URL ?? 'http://localhost:8787'

function devVars() {
  const vars = {}
  for (const file of ['.dev.vars.example', '.dev.vars']) {
    if (!existsSync(file)) continue
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*(.*)$/)
      if (m) vars[m[1]] = m[2]
    }
  }
  return vars
}

/** Signs in as the seeded demo user (or BENCH_LOGIN / BENCH_PASSWORD), or the admin. */
export async function signIn(as = 'demo') {
  const vars = devVars()
  const login = as === 'admin' ? (vars.ADMIN_USERNAME ?? 'admin') : (process.env.BENCH_LOGIN ?? vars.DEMO_USERNAME ?? 'demo')
  const password = as === 'admin' ? (vars.ADMIN_PASSWORD ?? 'darkroom-admin-1') : (process.env.BENCH_PASSWORD ?? vars.DEMO_PASSWORD ?? 'darkroom-demo-1')
  let res
  try {
    res = await fetch(`${BASE_URL}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login, password }),
    })
  } catch {
    throw new Error(`No Darkroom server at ${BASE_URL}: start it with \`npm run dev\` first`)
  }
  const body = await res.json()
  if (!res.ok) throw new Error(`login failed: ${JSON.stringify(body)}`)
  return body.data.accessToken
}

/** Signs in and also answers the user id. */
export async function signInWithUser(as = 'demo') {
  const token = await signIn(as)
  const me = await (await fetch(`${BASE_URL}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } })).json()
  return { token, userId: me.data.user.id }
}

export async function api(method, path, token, body) {
  const res = await fetch(`${BASE_URL}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, body: await res.json() }
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index]
}

export function printTable(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)))
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`
  console.log(`\n${title}\n`)
  console.log(line(header))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const row of rows) console.log(line(row))
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
