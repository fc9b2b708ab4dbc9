import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

// Real camera JPEGs from ../shared/fixtures/photos, handed to workerd as base64 strings
// (bindings must be JSON-serialisable; tests cannot read the file system).
const fixtureDir = fileURLToPath(new URL('../shared/fixtures/photos', import.meta.url))
if (!existsSync(fixtureDir)) {
  throw new Error(`Test fixtures not found at ${fixtureDir}: the repository expects shared/ beside it`)
}
const FIXTURE_PHOTOS = Object.fromEntries(
  readdirSync(fixtureDir)
    .filter((name) => /\.(jpe?g|png|webp|gif|heic|avif)$/i.test(name))
    .map((name) => [name, readFileSync(`${fixtureDir}/${name}`).toString('base64')]),
)

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        // Tests never read .dev.vars: every value they depend on is set here.
        bindings: {
          ENVIRONMENT: 'test',
          JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789abcdef',
          URL_SIGNING_SECRET: 'test-url-signing-secret-0123456789abcdef012345',
          WEBHOOK_SECRET: 'whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5',
          // Outgoing job signatures use their own secret, never the callback one.
          WEBHOOK_SIGNING_SECRET: 'whsec_dGVzdC1qb2Itc2lnbmluZy1zZWNyZXQtOTg3NjU0',
          // Result images in webhook-provider callbacks come from this mock CDN.
          WEBHOOK_RESULT_HOSTS: 'cdn.n8n.test,files.n8n.test',
          WECHAT_APP_ID: 'wx-test-app',
          WECHAT_APP_SECRET: 'wx-test-secret',
          WECHAT_API_BASE: 'https://wechat.test',
          // Stripe against a mocked API (test/payments); WeChat Pay keys are made per test file.
          STRIPE_SECRET_KEY: 'sk_test_darkroom',
          STRIPE_WEBHOOK_SECRET: 'whsec_test_darkroom_stripe_endpoint',
          STRIPE_API_BASE: 'https://stripe.test',
          STRIPE_SUCCESS_URL: 'https://app.example.com/store/success',
          STRIPE_CANCEL_URL: 'https://app.example.com/store',
          // Settings changed by a test apply to its next request (the cache itself is unit-tested).
          SETTINGS_CACHE_SECONDS: '0',
          CORS_ORIGINS: 'http://localhost:5173,https://app.example.com',
          FIXTURE_PHOTOS,
          TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL('./migrations', import.meta.url))),
        },
      },
    })),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    // Browser tests run in Node against wrangler dev: `npm run test:e2e` (vitest.e2e.config.ts).
    exclude: ['test/e2e/**', 'node_modules/**'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 20_000,
  },
})
