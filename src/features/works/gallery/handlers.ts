import { bearerToken } from '../../../lib/auth'
import { createRouter } from '../../../lib/openapi'
import { verifyAccessToken } from '../../../lib/tokens'
import { galleryRoute } from './routes'
import { galleryPage } from './service'

/** The public gallery (`/api/works/gallery`); mounted before the work routes so `gallery` is never read as a work id. */
export const galleryRoutes = createRouter().openapi(galleryRoute, async (c) => {
  // Optional auth: the token's signature is checked here, its session inside the page's one D1 batch.
  const token = bearerToken(c.req.header('Authorization'))
  const claims = token ? await verifyAccessToken(c.env, token) : null
  const { page } = await galleryPage(c.env, c.req.valid('query'), claims)
  return c.json({ success: true as const, data: page }, 200)
})
