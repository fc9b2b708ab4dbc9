import { defineConfig } from 'vitest/config'

// Browser tests: a real `wrangler dev` server and Debian's Chromium driven by playwright-core.
// Run with `npm run test:e2e` (.ci/run installs Chromium first).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
})
