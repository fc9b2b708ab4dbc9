import { createRouter } from '../../../lib/openapi'

/** The public gallery (`/api/works/gallery`); mounted before the work routes so `gallery` is never read as a work id. */
export const galleryRoutes = createRouter()
