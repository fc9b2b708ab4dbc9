import { mkdirSync, readFileSync } from 'node:fs'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevServer, startDevServer } from './server'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const FIXTURES = new URL('../../../shared/fixtures/photos/', import.meta.url)

let server: DevServer
let browser: Browser

async function api(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}) },
    body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, body: (await res.json()) as { data: Record<string, any> } }
}

async function photographer() {
  const name = `ph_${Date.now() % 1_000_000}`
  await api('POST', '/api/auth/register', undefined, { username: name, email: `${name}@example.com`, password: 'secret-pass-1' })
  const login = await api('POST', '/api/auth/login', undefined, { login: name, password: 'secret-pass-1' })
  return login.body.data.accessToken as string
}

function photoForm(name: string) {
  const form = new FormData()
  form.append('photo', new Blob([readFileSync(new URL(name, FIXTURES))], { type: 'image/jpeg' }), name)
  return form
}

beforeAll(async () => {
  server = await startDevServer()
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('guest live page in Chromium', () => {
  it('enters the code, then a photo uploaded through the API appears within 2 s', async () => {
    const token = await photographer()
    const created = await api('POST', '/api/live/sessions', token, { title: 'Rooftop wedding', downloadPolicy: 'preview' })
    const { id, accessCode } = created.body.data.session
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage()
    const cspErrors: string[] = []
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused/.test(m.text()) && cspErrors.push(m.text()))

    await page.goto(`${server.url}/live/${id}`)
    await page.locator('#code').fill('000000')
    await page.locator('#code-form button').click()
    // A wrong code is refused in the page, not with a crash.
    await expect.poll(() => page.locator('#code-error').textContent()).toMatch(/not right/)
    await page.locator('#code').fill(accessCode)
    await page.locator('#code-form button').click()
    await page.locator('#empty').waitFor({ state: 'visible' })
    await expect.poll(() => page.locator('#status').textContent()).toBe('Live')

    const started = Date.now()
    const upload = await api('POST', `/api/live/sessions/${id}/photos`, token, photoForm('DSCN0010.jpg'))
    expect(upload.status).toBe(201)
    await page.locator('#grid li img.loaded').first().waitFor({ state: 'visible', timeout: 2000 })
    expect(Date.now() - started).toBeLessThan(2000)

    // Lightbox with the preview and a download link (policy: preview).
    await page.locator('#grid li button').first().click()
    await page.locator('#lb-img').waitFor({ state: 'visible' })
    expect(await page.locator('#lb-download').isHidden()).toBe(false)
    // A like counts once per device: after a reload (same localStorage, new verify) it stays 1.
    await page.locator('#lb-like').click()
    await expect.poll(() => page.locator('#lb-likes').textContent()).toBe('1')
    await page.keyboard.press('Escape')
    await page.reload()
    await page.locator('#grid li button').first().click()
    await page.locator('#lb-like').click()
    await expect.poll(() => page.locator('#lb-likes').textContent()).toBe('1')
    await page.keyboard.press('Escape')

    mkdirSync('test-results', { recursive: true })
    await page.screenshot({ path: 'test-results/live-page.png', fullPage: true })
    expect(cspErrors).toEqual([])
  })

  it('skips the code for an open session, removes hidden photos live, and has a photo wall', async () => {
    const token = await photographer()
    const created = await api('POST', '/api/live/sessions', token, { title: 'Open gallery', accessCode: null })
    const id = created.body.data.session.id
    const first = await api('POST', `/api/live/sessions/${id}/photos`, token, photoForm('landscape_6.jpg'))
    const page = await (await browser.newContext()).newPage()
    await page.goto(`${server.url}/live/${id}?wall=1`)
    await page.locator('#wall img').waitFor({ state: 'visible' })
    await page.locator('#wall').click()
    await expect.poll(() => page.locator('#grid li').count()).toBe(1)
    await api('PUT', `/api/live/photos/${first.body.data.photos[0].id}`, token, { status: 'hidden' })
    await expect.poll(() => page.locator('#grid li').count(), { timeout: 2000 }).toBe(0)
    await page.screenshot({ path: 'test-results/live-page-open.png' })
  })
})
