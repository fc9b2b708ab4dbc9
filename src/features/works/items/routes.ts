import { createRoute, z } from '@hono/zod-openapi'
import { requireAuth } from '../../../lib/auth'
import { bearerAuth, bearerOrAnonymous, errors, jsonBody, ok, paginationSchema, signedUrlOrPublic } from '../../../lib/openapi'
import { WorkIdParam, WorkSchema } from '../shared/schemas'
import { BatchDeleteBody, BatchDeleteResultSchema, CreateWorkBody, UpdateWorkBody, WorkImageParams, WorkImageQuery, WorkListQuery } from './schemas'

const tags = ['Works']
const auth = { security: bearerAuth, middleware: [requireAuth] }
/** A signed-in viewer (their likes, their private works) or anyone for a published work. */

const listDescription =
  'Your works, private and public. `sort`: created (default), updated, likes, views, newest first on ties; `search` matches ' +
  'every word in title, description, prompt or tags (full-text, any language); `tag` one normalised tag; `visibility`.'

export const listWorksRoute = createRoute({
  method: 'get', path: '/', operationId: 'listWorks', tags, ...auth, summary: 'My works',
  description: listDescription,
  request: { query: WorkListQuery },
  responses: { 200: ok(paginationSchema(WorkSchema), 'A page of my works'), ...errors(400, 401) },
})

export const listMyWorksRoute = createRoute({
  method: 'get', path: '/my', operationId: 'listMyWorks', tags, ...auth, summary: 'My works (alias of GET /api/works)',
  description: listDescription,
  request: { query: WorkListQuery },
  responses: { 200: ok(paginationSchema(WorkSchema), 'A page of my works'), ...errors(400, 401) },
})

export const createWorkRoute = createRoute({
  method: 'post', path: '/', operationId: 'createWork', tags, ...auth, summary: 'Make one of my images a work',
  description:
    'From one of your images (not deleted, not an avatar: 400); someone else\'s or an unknown image is 404, an image that ' +
    'already is a work 409 CONFLICT, a title on another of your works 409 DUPLICATE_TITLE. Images of succeeded tasks become ' +
    'works by themselves (private, untitled, with the prompt and parameters). `isPublic: true` submits it to review. The work ' +
    'holds the image: deleting the image record keeps it until the work is deleted.',
  request: { body: jsonBody(CreateWorkBody) },
  responses: { 201: ok(z.object({ work: WorkSchema }), 'Created'), ...errors(400, 401, 404, 409) },
})

export const getWorkRoute = createRoute({
  method: 'get', path: '/{id}', operationId: 'getWork', tags, security: bearerOrAnonymous, summary: 'One work',
  description:
    'The owner always; anyone else (signed in or not) only while it is in the gallery (public and approved), else 404. ' +
    'A view counts once per viewer per work per UTC day (signed-in: the user; anonymous: a keyed hash of the network, never ' +
    'the address), never the owner\'s own and never while unpublished. An invalid token is 401, not anonymous.',
  request: { params: WorkIdParam },
  responses: { 200: ok(z.object({ work: WorkSchema }), 'The work'), ...errors(400, 401, 404) },
})

export const updateWorkRoute = createRoute({
  method: 'put', path: '/{id}', operationId: 'updateWork', tags, ...auth, summary: 'Edit a work',
  description:
    'Owner only (else 404). Only the fields present change. Tags are trimmed, lower-cased, de-duplicated. Making a private ' +
    'or rejected work public sends it to review (`reviewStatus: pending`), or approves it at once while the `worksReview` ' +
    'setting is off; making it private takes it out of the gallery and keeps its review status. While review is on, changing ' +
    'the title, description, tags or category of an approved public work sends it back to review (it leaves the gallery ' +
    'until approved again); the same values again change nothing. Each publication gets new public image URLs.',
  request: { params: WorkIdParam, body: jsonBody(UpdateWorkBody) },
  responses: { 200: ok(z.object({ work: WorkSchema }), 'Updated'), ...errors(400, 401, 404, 409) },
})

export const deleteWorkRoute = createRoute({
  method: 'delete', path: '/{id}', operationId: 'deleteWork', tags, ...auth, summary: 'Delete a work',
  description: 'Owner only (else 404). Releases the image: its storage goes when nothing else holds it (your image record, a task).',
  request: { params: WorkIdParam },
  responses: { 200: ok(BatchDeleteResultSchema, 'Deleted'), ...errors(400, 401, 404) },
})

export const batchDeleteWorksRoute = createRoute({
  method: 'post', path: '/batch/delete', operationId: 'batchDeleteWorks', tags, ...auth, summary: 'Delete up to 100 works',
  description:
    'All or nothing: if any id is unknown or not yours, nothing is deleted and the 404 lists them in ' +
    '`details.errors` (`{id, code, error}` each). Answers the ids deleted. Duplicated ids count once.',
  request: { body: jsonBody(BatchDeleteBody) },
  responses: { 200: ok(BatchDeleteResultSchema, 'Deleted'), ...errors(400, 401, 404) },
})

export const getWorkImageRoute = createRoute({
  method: 'get', path: '/{id}/images/{variant}', operationId: 'getWorkImage', tags, security: signedUrlOrPublic, summary: 'Image of a work',
  description:
    "No token: a work in the gallery, with `v` = its current publication version (as in the work's image URLs). Thumb and " +
    'preview are immutable for clients (`public, max-age=31536000, immutable`) and kept in the Workers cache of each data ' +
    'centre for at most 5 minutes, so a work taken down (rejected, made private, deleted) stops being served everywhere ' +
    'within 5 minutes (at once in the data centre that took it down). The original is metadata-free (`public, ' +
    'max-age=86400`, Range). A work not in the gallery answers only its owner\'s signed URLs (`exp`, `sig`, as in the ' +
    "owner's view of the work; private caching). Anything else is 404. ETag/If-None-Match.",
  request: { params: WorkImageParams, query: WorkImageQuery },
  responses: {
    200: { description: 'Image bytes', content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
    206: { description: 'Partial content (Range, original only)' },
    304: { description: 'Not modified' },
    ...errors(400, 404, 416),
  },
})
