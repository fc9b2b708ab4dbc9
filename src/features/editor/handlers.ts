import { createRouter } from '../../lib/openapi'
import { chatMessageRoutes } from './messages/handlers'
import { chatSessionRoutes } from './sessions/handlers'

/** The AI image editor under `/api`: chat sessions and their messages (issue 11). */
export const editorRoutes = createRouter().route('/', chatSessionRoutes).route('/', chatMessageRoutes)
