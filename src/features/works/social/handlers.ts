import { createRouter } from '../../../lib/openapi'

/** Likes, comments, follows, public profiles and stats (mounted at `/api`, after the users routes). */
export const socialRoutes = createRouter()
