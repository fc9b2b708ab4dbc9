import { createRoute } from '@hono/zod-openapi'
import { bearerOrAnonymous, errors, ok } from '../../../lib/openapi'
import { GalleryPageSchema, GalleryQuery } from './schemas'

/** Anyone; a signed-in viewer (valid Bearer token) also learns which works they like. */

export const galleryRoute = createRoute({
  method: 'get',
  path: '/gallery',
  tags: ['Works'],
  operationId: 'listGallery',
  security: bearerOrAnonymous,
  summary: 'The public gallery',
  description:
    'Published works (public and approved), newest first or by popularity, views or likes, filtered by time, category, tag, ' +
    'author, featured flag and full-text search (title, description, prompt, tags; any part of a word, CJK included). ' +
    '`page` pages up to 10,000 works deep; `cursor` (the previous page\'s `nextCursor`) pages at any depth and stays stable ' +
    'while new works are published: no duplicates or gaps. With a Bearer token `isLiked` says whether the viewer likes ' +
    'each work; an invalid or expired token is 401. `popular` ranks by likes in the 7 days before the first page was read, then all likes.',
  request: { query: GalleryQuery },
  responses: { 200: ok(GalleryPageSchema, 'A page of the gallery'), ...errors(400, 401) },
})
