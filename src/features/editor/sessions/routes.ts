import { createRoute } from '@hono/zod-openapi'
import { requireAuth } from '../../../lib/auth'
import { bearerAuth, errors, jsonBody, ok } from '../../../lib/openapi'
import { ChatSessionIdParam } from '../shared/schemas'
import { CreateSessionBody, RenameSessionBody, SessionEnvelopeSchema, SessionListQuery, SessionPageSchema } from './schemas'

const tags = ['Editor']
const auth = { security: bearerAuth, middleware: [requireAuth] }
const MINE = "Your own sessions only: someone else's, a deleted or an unknown one is 404."

export const listSessionsRoute = createRoute({
  method: 'get', path: '/sessions', operationId: 'listChatSessions', tags, ...auth, summary: 'My chat sessions',
  description:
    'Newest activity first (the newest current message, else the creation). Page with `limit` and `offset` (the seed\'s ' +
    'style) or `page`; `offset` wins when both are given. `search`: every word must occur in the title or in one current ' +
    'message (full text with trigrams: Chinese, Japanese and Korean as well as Latin text; words of 1–2 characters match ' +
    'as substrings, at most the first two of them are used); 60 searches a minute per user. Deleted sessions never appear.',
  request: { query: SessionListQuery },
  responses: { 200: ok(SessionPageSchema, 'One page of sessions'), ...errors(400, 401, 429) },
})

export const createSessionRoute = createRoute({
  method: 'post', path: '/sessions', operationId: 'createChatSession', tags, ...auth, summary: 'Start a chat session',
  description:
    'Without a title the first message titles it (its first line, cut at a word, at most 60 characters; "Image edit" when ' +
    'it has only images); a title given here or by rename is never replaced. At most 10 sessions a minute and 200 a day ' +
    'per user (429 RATE_LIMITED with Retry-After). Your other devices get `session.created` on `/api/ws`.',
  request: { body: { ...jsonBody(CreateSessionBody), required: false } },
  responses: { 201: ok(SessionEnvelopeSchema, 'Created'), ...errors(400, 401, 429) },
})

export const getSessionRoute = createRoute({
  method: 'get', path: '/sessions/{id}', operationId: 'getChatSession', tags, ...auth, summary: 'One chat session',
  description: `With \`messageCount\` and \`lastMessageAt\`, exact after every change. ${MINE}`,
  request: { params: ChatSessionIdParam },
  responses: { 200: ok(SessionEnvelopeSchema, 'The session'), ...errors(401, 404) },
})

export const renameSessionRoute = createRoute({
  method: 'put', path: '/sessions/{id}', operationId: 'renameChatSession', tags, ...auth, summary: 'Rename a chat session',
  description: `1 to 100 characters, one line. From then on messages never change the title. Devices get \`session.updated\`. ${MINE}`,
  request: { params: ChatSessionIdParam, body: jsonBody(RenameSessionBody) },
  responses: { 200: ok(SessionEnvelopeSchema, 'Renamed'), ...errors(400, 401, 404) },
})

export const deleteSessionRoute = createRoute({
  method: 'delete', path: '/sessions/{id}', operationId: 'deleteChatSession', tags, ...auth, summary: 'Delete a chat session',
  description:
    'A soft delete: the session and its messages are hidden from every route at once (404), and devices get ' +
    '`session.deleted`. Its messages keep their images for 30 days; then the cron purges the session and releases them ' +
    '(an image nothing else holds is freed). Answers the session with `deletedAt`. ' + MINE,
  request: { params: ChatSessionIdParam },
  responses: { 200: ok(SessionEnvelopeSchema, 'Deleted'), ...errors(401, 404) },
})
