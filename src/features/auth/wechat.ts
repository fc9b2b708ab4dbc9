import { users, type User } from '../../db/schema'
import { signupCredits, signupLedgerInsert } from '../credits/service'
import type { Db } from '../../env'
import { invalidCredentials, maintenance, notConfigured, rateLimited, upstreamError } from '../../lib/errors'
import { newId, randomToken } from '../../lib/ids'
import { config } from '../../lib/config'
import { getSetting } from '../settings/service'

interface Code2Session {
  openid?: string
  unionid?: string
  session_key?: string
  errcode?: number
  errmsg?: string
}

/** WeChat error codes that mean the client's code is bad, not that WeChat is down. */
const INVALID_CODE_ERRORS = new Set([40029, 40163, 40226])
const TIMEOUT_MS = 5000

/**
 * Exchanges a mini-program `code` for the user's openid at jscode2session. The app secret
 * stays server-side and never appears in logs or errors.
 */
export async function exchangeWechatCode(env: Env, code: string): Promise<string> {
  const { WECHAT_APP_ID: appId, WECHAT_APP_SECRET: appSecret, WECHAT_API_BASE: apiBase } = config(env)
  if (!appId || !appSecret) {
    throw notConfigured('WeChat login is not configured on this server')
  }
  const url = new URL('/sns/jscode2session', apiBase)
  url.search = new URLSearchParams({
    appid: appId,
    secret: appSecret,
    js_code: code,
    grant_type: 'authorization_code',
  }).toString()

  let body: Code2Session
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) })
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    // WeChat answers JSON with a text/plain content type; parse the text.
    body = JSON.parse(await res.text()) as Code2Session
  } catch {
    throw upstreamError('WeChat login service is unavailable, try again later')
  }
  if (body.errcode && INVALID_CODE_ERRORS.has(body.errcode)) {
    throw invalidCredentials('WeChat login code is invalid or expired')
  }
  if (body.errcode === 45011) {
    throw rateLimited(60, 'WeChat is rate limiting logins, try again shortly')
  }
  if (body.errcode || typeof body.openid !== 'string' || body.openid.length === 0) {
    throw upstreamError(`WeChat login failed (errcode ${body.errcode ?? 'none'})`)
  }
  return body.openid
}

/** The user for a WeChat openid, created on first sign-in (no email, no password). */
export async function findOrCreateWechatUser(env: Env, db: Db, openId: string): Promise<{ user: User; created: boolean }> {
  const existing = await db.query.users.findFirst({ where: (u, { eq }) => eq(u.wechatOpenId, openId) })
  if (existing) return { user: existing, created: false }
  // Sign-in stays open in maintenance, but creating an account is a write like registration.
  if (await getSetting(env, 'maintenance')) throw maintenance('Darkroom is in maintenance: new accounts wait until it ends; existing ones can sign in')
  const now = new Date()
  const username = `wx_${randomToken(12).replace(/[^A-Za-z0-9]/g, '').slice(0, 10).toLowerCase()}`
  const id = newId('usr')
  const credits = await signupCredits(env)
  const inserted = await db
    .insert(users)
    .values({ id, username, wechatOpenId: openId, credits, createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning()
  if (inserted[0]) {
    await signupLedgerInsert(db, id, credits, now)
    return { user: inserted[0], created: true }
  }
  // A concurrent first sign-in created it.
  const raced = await db.query.users.findFirst({ where: (u, { eq }) => eq(u.wechatOpenId, openId) })
  if (!raced) throw new Error('WeChat user vanished after conflict')
  return { user: raced, created: false }
}
