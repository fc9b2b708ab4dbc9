import type { D1Migration } from 'cloudflare:test'

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[]
      /** File name → base64 of ../shared/fixtures/photos */
      FIXTURE_PHOTOS: Record<string, string>
    }
  }
}
