import { createRoute } from '@hono/zod-openapi'
import { requireAuth } from '../../../lib/auth'
import { bearerAuth, errors, jsonBody, ok } from '../../../lib/openapi'
import { ChatMessageIdParam, ChatSessionIdParam } from '../shared/schemas'
import {
  CreateMessageBody, EditMessageBody, MessageDeletedSchema, MessageImageParams, MessageImageQuery, MessageListQuery, MessagePageSchema, MessageResultSchema,
} from './schemas'

const tags = ['Editor']
const auth = { security: bearerAuth, middleware: [requireAuth] }
const MINE = "Someone else's, a deleted or an unknown session or message is 404."
const BUDGET = 'Posts and edits count together: at most 30 a minute and 2,000 a day per user (429 RATE_LIMITED with Retry-After).'

export const listMessagesRoute = createRoute({
  method: 'get', path: '/sessions/{id}/messages', operationId: 'listChatMessages', tags, ...auth, summary: "A session's messages",
  description:
    'Oldest first (`seq`). Page with `limit` and `offset` (or `page`), or follow with `after=<seq>`: only messages with a ' +
    'greater `seq`, and `nextAfter` to pass next time (an edit keeps its message\'s `seq`, so `after` returns new messages, ' +
    'not edits: those arrive as `message.updated` on `/api/ws`). Current versions only, unless `includeEdits=true` adds the ' +
    'versions replaced by edits (use `offset` paging then). Deleted messages never appear. ' + MINE,
  request: { params: ChatSessionIdParam, query: MessageListQuery },
  responses: { 200: ok(MessagePageSchema, 'One page of messages'), ...errors(400, 401, 404) },
})

export const createMessageRoute = createRoute({
  method: 'post', path: '/sessions/{id}/messages', operationId: 'createChatMessage', tags, ...auth, summary: 'Post a message',
  description:
    'A user message: `text` (≤ 4,000 characters) and/or up to 8 of your own `imageIds` (someone else\'s, a deleted or an ' +
    'unknown image is 404, listed in `details.errors`); neither is 400. `params`: a free JSON object (≤ 8 KB). The message ' +
    'holds its images: they stay stored while it (or any other holder) exists. The first message titles an untitled ' +
    'session (its first line, cut at a word, ≤ 60 characters; "Image edit" without text). `messageCount` and ' +
    '`lastMessageAt` change in the same transaction. Devices get `message.created` (and `session.updated` when titled). ' +
    `${BUDGET} ${MINE}`,
  request: { params: ChatSessionIdParam, body: jsonBody(CreateMessageBody) },
  responses: { 201: ok(MessageResultSchema, 'The message and the session after it'), ...errors(400, 401, 404, 429) },
})

export const editMessageRoute = createRoute({
  method: 'put', path: '/messages/{id}', operationId: 'editChatMessage', tags, ...auth, summary: 'Edit a message',
  description:
    'Answers a new version of the message: same `seq` and images, `version + 1`, `editedOf` = the id edited. The edited ' +
    'version leaves the default lists (readable with `includeEdits=true`, with `supersededBy`). Only your user messages ' +
    '(an assistant reply is 403) and only the current version: a version already replaced is 409 CONFLICT with ' +
    '`details.currentId`. An edit to empty text is 400 unless the message has images. Devices get `message.updated`. ' +
    `${BUDGET} ${MINE}`,
  request: { params: ChatMessageIdParam, body: jsonBody(EditMessageBody) },
  responses: { 200: ok(MessageResultSchema, 'The new version and the session'), ...errors(400, 401, 403, 404, 409, 429) },
})

export const deleteMessageRoute = createRoute({
  method: 'delete', path: '/messages/{id}', operationId: 'deleteChatMessage', tags, ...auth, summary: 'Delete a message',
  description:
    'Any version\'s id deletes the message with all its versions: their text, parameters and image links are erased at once ' +
    'and their image references released (an image nothing else holds, such as your library, is freed). Devices get ' +
    '`message.deleted`. ' + MINE,
  request: { params: ChatMessageIdParam },
  responses: { 200: ok(MessageDeletedSchema, 'Deleted'), ...errors(401, 404) },
})

export const getMessageImageRoute = createRoute({
  method: 'get', path: '/messages/{id}/images/{imageId}/{variant}', operationId: 'getChatMessageImage', tags, security: [{ signedUrl: [] }],
  summary: 'Image of a message',
  description:
    "Only with the signed URL in the message's `images[].variants` (`exp`, `sig`; valid 6–12 hours, re-read the message " +
    'for fresh ones). Works while the message holds the image, also after the image was deleted from your library; 404 ' +
    'once the message or its session is deleted, and for anything else. Thumb and preview are WebP; the original is ' +
    'metadata-free (Range, ETag/If-None-Match). Private caching.',
  request: { params: MessageImageParams, query: MessageImageQuery },
  responses: {
    200: { description: 'Image bytes', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
    206: { description: 'Partial content (Range, original only)' },
    304: { description: 'Not modified' },
    ...errors(400, 404, 416),
  },
})
