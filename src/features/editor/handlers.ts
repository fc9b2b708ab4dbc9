import { createRouter } from '../../lib/openapi'

/** The AI image editor under `/api`: chat sessions and messages (issue 11, being built). */
export const editorRoutes = createRouter()
